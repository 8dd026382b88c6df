import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// The rules of who may change what and which text may be stored, without a database.
@Suite("Access and input rules")
struct AccessRuleTests {
    static let member = Caller(userID: 7, name: "mia", role: .member, address: "10.0.0.9")
    static let admin = Caller(userID: 1, name: "admin", role: .admin, address: nil)

    @Test("a task is changed by its submitter or an admin; others get 403 naming the owner")
    func ownership() throws {
        try Self.member.requireMayChange(task: 5, submittedBy: 7, ownerName: "mia")
        try Self.admin.requireMayChange(task: 5, submittedBy: 7, ownerName: "mia")
        try Self.admin.requireMayChange(task: 5, submittedBy: nil, ownerName: "gone")
        let refused = #expect(throws: AppError.self) { try Self.member.requireMayChange(task: 5, submittedBy: 8, ownerName: "bo") }
        #expect(refused?.status == .forbidden && refused?.message.contains("bo") == true)
        // A task without a known submitter is nobody's but the admins'.
        #expect(throws: AppError.self) { try Self.member.requireMayChange(task: 5, submittedBy: nil, ownerName: "mia") }
        #expect(Self.member.mayOfferChanges(toTaskOf: "mia") && !Self.member.mayOfferChanges(toTaskOf: "bo"))
        #expect(Self.admin.mayOfferChanges(toTaskOf: "bo"))
    }

    @Test("members submit up to member_max_priority; admins any priority")
    func priorityCap() throws {
        try Self.member.requireMayUse(priority: 10, memberMax: 10)
        try Self.member.requireMayUse(priority: -50, memberMax: 10)
        let refused = #expect(throws: AppError.self) { try Self.member.requireMayUse(priority: 11, memberMax: 10) }
        #expect(refused?.status == .forbidden && refused?.message.contains("member_max_priority") == true)
        try Self.admin.requireMayUse(priority: 1000, memberMax: 10)
    }

    @Test("the last enabled admin cannot be disabled, demoted or deleted; others can")
    func lastAdmin() {
        typealias Standing = UserRepository.Standing
        let admin = Standing(role: .admin, disabled: false)
        let disabledAdmin = Standing(role: .admin, disabled: true)
        let member = Standing(role: .member, disabled: false)
        #expect(UserRepository.removesLastAdmin(before: admin, after: disabledAdmin, enabledAdmins: 1))
        #expect(UserRepository.removesLastAdmin(before: admin, after: member, enabledAdmins: 1))
        #expect(UserRepository.removesLastAdmin(before: admin, after: nil, enabledAdmins: 1))
        #expect(!UserRepository.removesLastAdmin(before: admin, after: disabledAdmin, enabledAdmins: 2))
        #expect(!UserRepository.removesLastAdmin(before: admin, after: admin, enabledAdmins: 1), "a new password keeps them admin")
        #expect(!UserRepository.removesLastAdmin(before: member, after: nil, enabledAdmins: 1))
        #expect(!UserRepository.removesLastAdmin(before: disabledAdmin, after: nil, enabledAdmins: 1))
    }

    @Test("NUL and other control characters are refused; tab, newline and carriage return are not")
    func storableText() {
        for value: UInt32 in [0x00, 0x01, 0x08, 0x0B, 0x0C, 0x1B, 0x1F, 0x7F, 0x85, 0x9B, 0x9F] {
            #expect(!StorableText.allows(Unicode.Scalar(value)!), "U+\(String(value, radix: 16))")
        }
        for text in ["\t", "\n", "\r", " ", "é", "日本", "🙂", "\u{A0}", "\u{FFFD}"] {
            #expect(StorableText.allows(text.unicodeScalars.first!), "\(text)")
        }
        #expect(StorableText.firstRefused(in: "a\u{0}b") == "\u{0}")
        #expect(StorableText.cleaned("\u{1B}[31mred\u{1B}[0m\u{0}") == "\u{FFFD}[31mred\u{FFFD}[0m\u{FFFD}")
        #expect(StorableText.cleaned("line 1\r\n\tline 2") == "line 1\r\n\tline 2")
        #expect(StorableText.refusal(field: "cases[0]", "\u{0}") == "cases[0]: contains the control character U+0000, which text fields cannot hold")
    }

    @Test("JSON bodies: the refused character's field is named; escaped backslashes and clean bodies pass")
    func jsonBodies() throws {
        func message(_ json: String) -> String? {
            do {
                try TextInputCheck.check(json: Data(json.utf8))
                return nil
            } catch let error as AppError {
                return error.status == .unprocessableContent ? error.message : "status \(error.status)"
            } catch {
                return "\(error)"
            }
        }
        #expect(message(#"{"cases": ["ok", "a\u0000b"]}"#)?.hasPrefix("cases[1]: ") == true)
        #expect(message(#"{"product": {"name": "x\u001bY"}}"#)?.hasPrefix("product.name: ") == true)
        #expect(message(#"{"name": "del\u007f"}"#)?.contains("U+007F") == true)
        #expect(message("{\"name\": \"raw c1 \u{85}\"}")?.hasPrefix("name: ") == true)
        #expect(message(#"{"a\u0001": 1}"#)?.hasPrefix("a key in the body") == true)
        #expect(message(#"{"short": "back\bspace"}"#)?.contains("U+0008") == true)
        #expect(message(#"{"short": "form\ffeed"}"#)?.contains("U+000C") == true)
        #expect(message(#""\u0000""#)?.hasPrefix("the body") == true)
        #expect(message(#"{"name": "a\\u0000b", "script": "x\n\ty\r\n"}"#) == nil, "an escaped backslash is text, not NUL")
        #expect(message(#"{"name": "caf\u00e9 \u00a0"}"#) == nil)
        #expect(message("{not json") == nil, "malformed JSON is the decoder's to refuse")
        #expect(!TextInputCheck.mightHoldRefusedText(json: Data(#"{"cases": ["a", "b", "tab\tok"]}"#.utf8)))
    }

    @Test("form fields: values and names")
    func formFields() {
        #expect(throws: Never.self) { try TextInputCheck.check(fields: [(name: "script", value: "a\r\n\tb")]) }
        let value = #expect(throws: AppError.self) { try TextInputCheck.check(fields: [(name: "note", value: "x\u{0}")]) }
        #expect(value?.message.hasPrefix("note: ") == true)
        let name = #expect(throws: AppError.self) { try TextInputCheck.check(fields: [(name: "n\u{7}", value: "x")]) }
        #expect(name?.message.hasPrefix("a field name") == true)
    }

    @Test("a node patch is audited as its state change and its other changes")
    func nodeAuditEntries() {
        let both = NodeRepository.auditedChanges(NodePatch(state: .draining, slots: 4, labels: ["gpu"]), name: "lab-1")
        #expect(both.map(\.0) == [.nodeDrain, .nodeUpdate])
        #expect(both[1].1 == "lab-1: 4 slots; labels gpu")
        #expect(NodeRepository.auditedChanges(NodePatch(state: .online), name: "n").map(\.0) == [.nodeEnable])
        #expect(NodeRepository.auditedChanges(NodePatch(), name: "n").isEmpty)
    }

    @Test("a suspended cache keeps nothing until resumed")
    func suspendedCache() {
        let tokens = TokenCache(ttl: .seconds(60))
        let user = AuthenticatedUser(id: 1, username: "ana", role: .member, method: .token)
        let hash = Data([9])
        tokens.remember(.init(user: user, tokenID: 3, usageWrittenAt: .now), under: [hash], asOf: tokens.generation)
        #expect(tokens.value(hash) != nil)
        tokens.suspend()
        #expect(tokens.value(hash) == nil)
        tokens.remember(.init(user: user, tokenID: 3, usageWrittenAt: .now), under: [hash], asOf: tokens.generation)
        #expect(tokens.value(hash) == nil, "nothing is kept while notifications may be missed")
        tokens.resume()
        tokens.remember(.init(user: user, tokenID: 3, usageWrittenAt: .now), under: [hash], asOf: tokens.generation)
        #expect(tokens.value(hash) != nil)
    }
}
