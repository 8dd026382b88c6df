import Hummingbird
import WireProtocol

// Wire types answer requests as JSON through the context's encoder.
extension Page: ResponseGenerator, ResponseEncodable {}
extension CatalogItem: ResponseGenerator, ResponseEncodable {}
extension TestResult: ResponseGenerator, ResponseEncodable {}
extension User: ResponseGenerator, ResponseEncodable {}
extension CreatedToken: ResponseGenerator, ResponseEncodable {}
extension EnrollmentToken: ResponseGenerator, ResponseEncodable {}
extension EnrollResponse: ResponseGenerator, ResponseEncodable {}
extension InventoryResponse: ResponseGenerator, ResponseEncodable {}
extension Lease: ResponseGenerator, ResponseEncodable {}
extension HeartbeatResponse: ResponseGenerator, ResponseEncodable {}
extension LogAck: ResponseGenerator, ResponseEncodable {}
extension AgentSelf: ResponseGenerator, ResponseEncodable {}
extension TaskInfo: ResponseGenerator, ResponseEncodable {}
extension CaseDetail: ResponseGenerator, ResponseEncodable {}
extension CaseTest: ResponseGenerator, ResponseEncodable {}
extension NodeInfo: ResponseGenerator, ResponseEncodable {}
extension TaskReport: ResponseGenerator, ResponseEncodable {}
extension LoginAnswer: ResponseGenerator, ResponseEncodable {}
extension Assignment: ResponseGenerator, ResponseEncodable {}
extension InstallJob: ResponseGenerator, ResponseEncodable {}
extension NodeEnvironment: ResponseGenerator, ResponseEncodable {}
extension ItemList: ResponseGenerator, ResponseEncodable {}

/// A list answer that is not paginated.
typealias ItemsResponse = ItemList
