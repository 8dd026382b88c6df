import WireProtocol

extension Caller {
    /// The one rule for changing a task or its cases — cancelling it or one of its cases, rerunning, deleting,
    /// editing: the user who submitted the task may, and so may every admin; anyone else gets 403. Reading
    /// needs no such right: everyone signed in sees every task.
    ///
    /// Ask it with the task's row locked (`FOR UPDATE`) in the transaction that makes the change, so the answer
    /// holds for the change it allows.
    func requireMayChange(task id: Int64, submittedBy owner: Int64?, ownerName: String) throws {
        guard isAdmin || (owner != nil && owner == userID) else {
            throw AppError.forbidden("task \(id) belongs to \(ownerName): only they or an admin may change it")
        }
    }

    /// Members may submit up to `memberMax` (`member_max_priority`); admins use any priority.
    func requireMayUse(priority: Int, memberMax: Int) throws {
        guard isAdmin || priority <= memberMax else {
            throw AppError.forbidden(
                "priority: members may submit up to priority \(memberMax) (member_max_priority); \(priority) needs an admin"
            )
        }
    }

    /// Whether a page offers the caller changes to a task submitted by the user named `ownerName` (its cancel
    /// button): the same rule, by name, as a hint. The change itself is decided by
    /// ``requireMayChange(task:submittedBy:ownerName:)``.
    func mayOfferChanges(toTaskOf ownerName: String) -> Bool {
        isAdmin || ownerName == name
    }
}
