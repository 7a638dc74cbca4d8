use crate::declare_rule;
use crate::rules::ctx::fmt_num;
use crate::rules::{Ctx, Diagnostic, Fix};

declare_rule! {
    /// ## What it does
    /// Flags DAX clusters (`AWS::DAX::Cluster`) with `ReplicationFactor: 1`, a single node.
    ///
    /// ## Why is this bad?
    /// A one-node cluster has no replica to fail over to: when the node fails, is replaced or is
    /// patched, every read through DAX fails or falls back to the table at once, and the cache
    /// starts cold. The reads DAX was absorbing land on the table's capacity in one step, which
    /// can throttle it. AWS recommends at least three nodes, in different Availability Zones,
    /// for production clusters; one node is for development and testing.
    ///
    /// ## Example
    /// ```yaml
    /// Resources:
    ///   Cache:
    ///     Type: AWS::DAX::Cluster
    ///     Properties:
    ///       NodeType: dax.r5.large
    ///       ReplicationFactor: 1
    ///       IAMRoleARN: arn:aws:iam::123456789012:role/dax
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Resources:
    ///   Cache:
    ///     Type: AWS::DAX::Cluster
    ///     Properties:
    ///       NodeType: dax.r5.large
    ///       ReplicationFactor: 3
    ///       IAMRoleARN: arn:aws:iam::123456789012:role/dax
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/DAX.concepts.cluster.html
    /// - https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-dax-cluster.html
    pub DaxClusterSingleNode {
        code: "DDB-003",
        name: "dax-cluster-single-node",
        severity: Medium,
        pillar: Reliability,
        symptoms: ["dynamodb-hot-reads"],
        remedies: ["dynamodb-dax"],
    }
}

impl DaxClusterSingleNode {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for r in ctx.resources(&["AWS::DAX::Cluster"]) {
            let Some(n) = ctx.num(r, &["ReplicationFactor"]).known().copied() else { continue };
            if n != 1.0 {
                continue;
            }
            let node_type = ctx.str(r, &["NodeType"]).known().cloned().unwrap_or_else(|| "its node type".into());
            let mut d = ctx.diag(r, &["ReplicationFactor"], format!(
                "{} has ReplicationFactor {} ({node_type}): a single node has no replica to fail over to, so a node failure or maintenance sends every cached read back to the table at once; AWS recommends 3 nodes across AZs for production",
                r.id,
                fmt_num(n)
            ));
            d.evidence.push(format!("ReplicationFactor = {}", fmt_num(n)));
            d.fix = Some(Fix::new("Run one primary and two replicas, spread over Availability Zones", "ReplicationFactor: 3"));
            out.push(d);
        }
    }
}
