import AsyncSupport
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Background work that one replica at a time does (the reaper, the retention sweep), under an advisory lock,
/// once the schema is migrated. Work done often keeps a connection of its own and holds the lock on it between
/// passes; when the holder goes away, another replica takes the lock within ``retryLock``. Work done seldom
/// borrows a connection for each pass and takes the lock for that pass only, so that it holds no connection
/// while it waits. A connection that fails or hangs is closed and the work goes on on another.
struct SingletonLoop: Sendable {
    /// What the work is called in logs.
    var name: String
    var lockKey: Int64
    var interval: Duration
    /// Measures the interval; failures and the lock are retried by this machine's time.
    let clock: SchedulingClock
    /// Whether to keep a connection, and the lock on it, between passes.
    var keepsConnection = true
    let database: Database
    let migrated: OneShot<Void>
    let logger: Logger

    /// The longest a pass may take. A statement on a connection that dropped at the wrong moment can wait
    /// forever for its reply; then the connection is closed and the work starts again on a new one.
    static let passLimit = Duration.seconds(30)

    /// How often a replica without the lock tries to take it.
    static let retryLock = Duration.seconds(10)

    /// A pass: given the session and the pass number.
    typealias Pass = @Sendable (Session, Int) async throws -> Void

    /// Runs `pass` every interval until graceful shutdown. A pass that fails with a database error is logged and
    /// the next one comes at the next interval.
    func run(_ pass: @escaping Pass) async throws {
        await cancelWhenGracefulShutdown { await migrated.wait() }
        var backoff = Duration.milliseconds(500)
        var number = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                number = try await cancelWhenGracefulShutdown { [number] in
                    try await database.withConnection { session in
                        if keepsConnection { return try await lead(session, from: number, pass) }
                        if try await takeLock(session) {
                            try await run(pass, number, on: session)
                            _ = try? await session.query("SELECT pg_advisory_unlock(\(lockKey))")
                        }
                        return number + 1
                    }
                }
                try? await cancelWhenGracefulShutdown { try await clock.sleep(for: interval) }
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { break }
                logger.warning("\(name) lost its connection; retrying: \(String(reflecting: error))")
                let delay = backoff
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
                backoff = min(backoff * 2, .seconds(10))
            }
        }
    }

    /// Waits to take the lock (it stays with this connection), then runs a pass every interval, numbered from
    /// `first`; returns the next number.
    private func lead(_ session: Session, from first: Int, _ pass: @escaping Pass) async throws -> Int {
        var number = first
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if try await takeLock(session) { break }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.retryLock) }
        }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try await run(pass, number, on: session)
            number += 1
            try? await cancelWhenGracefulShutdown { try await clock.sleep(for: interval) }
        }
        _ = try? await session.query("SELECT pg_advisory_unlock(\(lockKey))")
        return number
    }

    private func takeLock(_ session: Session) async throws -> Bool {
        let locked = try await watched(session, "taking the \(name) lock") {
            try await session.query("SELECT pg_try_advisory_lock(\(lockKey))").collect(Bool.self)
        }
        return locked.first == true
    }

    /// One pass; failures of the connection are thrown (the work starts again on another), others logged.
    private func run(_ pass: @escaping Pass, _ number: Int, on session: Session) async throws {
        do {
            try await watched(session, "a \(name) pass") { try await pass(session, number) }
        } catch let error where error is PSQLError || error is DatabaseUnreachable || error is DeadlineExceeded || error is ConnectionClosed {
            throw error
        } catch {
            logger.warning("\(name) pass failed: \(String(reflecting: error))")
        }
    }

    /// `body` on the session, under ``passLimit``; past it, the session's connection is closed.
    private func watched<T: Sendable>(
        _ session: Session,
        _ what: String,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        // A statement sent on a connection the server has closed would wait out the whole limit.
        if session.connection.isClosed { throw ConnectionClosed() }
        do {
            return try await withDeadline(Self.passLimit, what, body)
        } catch let error as DeadlineExceeded {
            _ = await finishes({ try? await session.connection.close() }, within: .seconds(5))
            throw error
        }
    }
}
