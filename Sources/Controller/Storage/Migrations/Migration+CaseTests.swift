extension Migration {
    /// The tests of a case read from its JUnit XML result file: one row per `<testcase>` of a run, and one row of
    /// counts per run that reported tests, marked `final` for the run that decided its case (no retry followed),
    /// whose tests the case reports. Storing them writes only these two tables, so the rows of cases and runs that
    /// a result locks and updates stay as they are. The product's test result gains test counts beside the case
    /// pass rate.
    static let caseTests = Migration(
        version: 5,
        name: "case tests",
        sql: #"""
            CREATE TABLE case_tests (
                run_id uuid NOT NULL REFERENCES case_runs (id) ON DELETE CASCADE,
                -- The test's place in its result file, from 1.
                n integer NOT NULL CHECK (n > 0),
                classname text NOT NULL,
                name text NOT NULL,
                status text NOT NULL CHECK (status IN ('passed', 'failed', 'error', 'skipped')),
                duration_ms bigint CHECK (duration_ms >= 0),
                message text,
                output text,
                -- Passed after failing in the same run (a rerun inside the tool).
                flaky boolean NOT NULL DEFAULT false,
                -- The test's identity within its case as a number: the same test in another run is found by it.
                key bigint GENERATED ALWAYS AS (hashtextextended(classname || '/' || name, 0)) STORED,
                PRIMARY KEY (run_id, n)
            );
            -- Reports look for the few tests that failed or were flaky, not through all of them, and compare them
            -- with the same test in other runs.
            CREATE INDEX case_tests_notable_idx ON case_tests (run_id) WHERE status IN ('failed', 'error') OR flaky;
            CREATE INDEX case_tests_key_idx ON case_tests (run_id, key);
            CREATE TABLE run_tests (
                run_id uuid PRIMARY KEY REFERENCES case_runs (id) ON DELETE CASCADE,
                case_id bigint NOT NULL,
                task_id bigint NOT NULL,
                final boolean NOT NULL,
                total integer NOT NULL CHECK (total > 0),
                passed integer NOT NULL,
                failed integer NOT NULL,
                error integer NOT NULL,
                skipped integer NOT NULL
            );
            CREATE UNIQUE INDEX run_tests_case_idx ON run_tests (case_id) WHERE final;
            CREATE INDEX run_tests_task_idx ON run_tests (task_id) WHERE final;
            ALTER TABLE product_test_results ADD COLUMN tests_total integer, ADD COLUMN tests_passed integer,
                ADD COLUMN tests_failed integer, ADD COLUMN tests_error integer, ADD COLUMN tests_skipped integer,
                ADD COLUMN test_pass_rate double precision CHECK (test_pass_rate >= 0 AND test_pass_rate <= 1);
            """#
    )
}
