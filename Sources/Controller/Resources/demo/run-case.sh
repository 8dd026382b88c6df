#!/bin/sh
# The demo's test tool: runs one case by name, the way a real tool wrapper would.
#   *fail*  fails with exit code 1
#   *slow*  takes a few seconds
#   *skip*  reports itself skipped through the result file
#   anything else passes after a short while
case_name="$1"
echo "demo-runner: case $case_name on $(hostname) (product $TESTFLEET_PRODUCT_VERSION)"
echo "work dir: $TESTFLEET_WORK_DIR"
step() { echo "  step $1: $2"; sleep "$3"; }
case "$case_name" in
  *slow*)
    for i in 1 2 3 4 5; do step "$i" "waiting for the slow service" 1; done ;;
  *) step 1 "preparing" 0.2; step 2 "exercising $case_name" 0.3 ;;
esac
case "$case_name" in
  *fail*)
    echo "assertion failed: expected 200, got 500" >&2
    exit 1 ;;
  *skip*)
    echo '{"status": "skipped", "message": "not applicable on this product"}' > "$TESTFLEET_RESULT_FILE"
    exit 0 ;;
esac
echo "ok"
