import Foundation

/// What is installed on a node and the environment work done there: `GET /api/v1/nodes/{id}/environment`.
public struct NodeEnvironment: Codable, Sendable {
    public var products: [NodeProduct]
    public var jobs: [InstallJob]

    public init(products: [NodeProduct], jobs: [InstallJob]) {
        self.products = products
        self.jobs = jobs
    }
}
