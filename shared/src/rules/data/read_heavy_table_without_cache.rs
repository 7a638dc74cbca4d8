use std::collections::BTreeSet;

use crate::architecture::EdgeKind;
use crate::declare_rule;
use crate::rules::apigateway::common::is_api_type;
use crate::rules::data::common::{TABLE_TYPES, names};
use crate::rules::{Ctx, Diagnostic, Fix};

declare_rule! {
    /// ## What it does
    /// Points at DynamoDB tables read by three or more functions, or by functions behind an API,
    /// when the template has no DAX cluster (`AWS::DAX::Cluster`). Reads through stream
    /// consumers and backup policies are not counted.
    ///
    /// ## Why is this bad?
    /// It is advice, not a defect. Many readers, or readers on the request path of an API, are
    /// where repeated reads of the same items pile up: each one consumes read capacity and adds
    /// single-digit milliseconds to the response, and hot keys throttle. DAX answers repeated
    /// eventually consistent reads from memory in microseconds and without consuming read
    /// capacity; keeping reads eventually consistent (the default, half the RCUs of strongly
    /// consistent reads) is the first, free step. Trade-offs: DAX runs inside a VPC, so the
    /// functions must be VPC-attached and use the DAX client; it is billed per node-hour (three
    /// nodes recommended for production) whether it is hit or not; only eventually consistent
    /// reads are cached and query results can be stale up to their TTL.
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Products:
    ///     Type: AWS::Serverless::SimpleTable
    ///   GetProduct:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.get
    ///       Policies: [{DynamoDBReadPolicy: {TableName: !Ref Products}}]
    ///       Events:
    ///         Get:
    ///           Type: Api
    ///           Properties: {Path: '/products/{id}', Method: get}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Products:
    ///     Type: AWS::Serverless::SimpleTable
    ///   Cache:
    ///     Type: AWS::DAX::Cluster
    ///     Properties:
    ///       NodeType: dax.r5.large
    ///       ReplicationFactor: 3
    ///       IAMRoleARN: arn:aws:iam::123456789012:role/dax
    ///       SubnetGroupName: dax-subnets
    ///   GetProduct:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.get
    ///       Policies: [{DynamoDBReadPolicy: {TableName: !Ref Products}}]
    ///       VpcConfig: {SubnetIds: [subnet-1, subnet-2], SecurityGroupIds: [sg-1]}
    ///       Environment: {Variables: {DAX_ENDPOINT: !GetAtt Cache.ClusterDiscoveryEndpointURL}}
    ///       Events:
    ///         Get:
    ///           Type: Api
    ///           Properties: {Path: '/products/{id}', Method: get}
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/DAX.html
    /// - https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/DAX.consistency.html
    /// - https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadConsistency.html
    pub ReadHeavyTableWithoutCache {
        code: "DDB-002",
        name: "read-heavy-table-without-cache",
        severity: Info,
        pillar: Performance,
        symptoms: ["dynamodb-hot-reads", "dynamodb-throttling"],
        remedies: ["dynamodb-dax", "dynamodb-eventual-consistency"],
    }
}

/// Policies that read the stream or back the table up, not its items.
const NOT_ITEM_READS: &[&str] = &["DynamoDBStreamReadPolicy", "DynamoDBBackupFullAccessPolicy"];

impl ReadHeavyTableWithoutCache {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        if ctx.resources(&["AWS::DAX::Cluster"]).next().is_some() {
            return;
        }
        for table in ctx.resources(TABLE_TYPES) {
            let stream_consumers: BTreeSet<&str> = ctx.edges_from(&table.id, &[EdgeKind::Triggers]).map(|e| e.to.as_str()).collect();
            let mut readers: Vec<String> = Vec::new();
            let mut behind_api: Vec<String> = Vec::new();
            for e in ctx.edges_to(&table.id, &[EdgeKind::Reads]) {
                let Some(f) = ctx.template.resource(&e.from) else { continue };
                if !f.is_function() || NOT_ITEM_READS.contains(&e.via.as_str()) || stream_consumers.contains(f.id.as_str()) || readers.contains(&f.id) {
                    continue;
                }
                readers.push(f.id.clone());
                let apis: Vec<&str> = ctx.edges_to(&f.id, &[EdgeKind::Invokes]).filter(|c| is_api_type(ctx.type_of(&c.from))).map(|c| c.from.as_str()).collect();
                if let Some(api) = apis.first() {
                    behind_api.push(format!("{} (behind {api})", f.id));
                }
            }
            if readers.len() < 3 && behind_api.is_empty() {
                continue;
            }
            let why = if behind_api.is_empty() {
                format!("is read by {} functions ({})", readers.len(), names(&readers, 4))
            } else if readers.len() == 1 {
                format!("is read on an API request path by {}", behind_api[0])
            } else {
                format!("is read by {} functions ({}), {} of them on an API request path", readers.len(), names(&readers, 4), behind_api.len())
            };
            let mut d = ctx.diag(table, &[], format!(
                "{} {why} and the template has no DAX cluster: if the same items are read repeatedly, DAX would serve eventually consistent reads from memory in microseconds without consuming RCUs, at the cost of VPC-attached functions and a per-node-hour charge",
                table.id
            ));
            d.evidence.push(format!("readers: {}", readers.join(", ")));
            if !behind_api.is_empty() {
                d.evidence.push(format!("on an API path: {}", behind_api.join(", ")));
            }
            d.evidence.push("no AWS::DAX::Cluster in the template".into());
            d.fix = Some(Fix::new(
                "First make sure reads are eventually consistent (the default; half the RCUs). If metrics show the same items read again and again, add a DAX cluster in the functions' VPC and point the DAX client at it",
                "DaxCluster:\n  Type: AWS::DAX::Cluster\n  Properties:\n    NodeType: dax.r5.large\n    ReplicationFactor: 3          # nodes spread over AZs\n    IAMRoleARN: !GetAtt DaxRole.Arn\n    SubnetGroupName: !Ref DaxSubnets\n    SecurityGroupIds: [!Ref DaxSecurityGroup]\n    SSESpecification: {SSEEnabled: true}",
            ));
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::analyze;

    fn found(text: &str) -> usize {
        analyze(text, &Default::default()).unwrap().findings.iter().filter(|f| f.rule == "DDB-002").count()
    }

    #[test]
    fn readers_are_counted_without_stream_consumers() {
        let t = "
Transform: AWS::Serverless-2016-10-31
Resources:
  T:
    Type: AWS::DynamoDB::Table
    Properties: {StreamSpecification: {StreamViewType: NEW_IMAGE}}
  A: {Type: AWS::Serverless::Function, Properties: {Runtime: python3.12, Handler: a.h, Policies: [{DynamoDBReadPolicy: {TableName: !Ref T}}]}}
  B: {Type: AWS::Serverless::Function, Properties: {Runtime: python3.12, Handler: a.h, Policies: [{DynamoDBCrudPolicy: {TableName: !Ref T}}]}}
  C:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      Policies: [{DynamoDBStreamReadPolicy: {TableName: !Ref T, StreamName: s}}]
      Events: {S: {Type: DynamoDB, Properties: {Stream: !GetAtt T.StreamArn, StartingPosition: LATEST}}}
";
        assert_eq!(found(t), 0, "two item readers, one stream consumer");
        let three = format!("{t}  D: {{Type: AWS::Serverless::Function, Properties: {{Runtime: python3.12, Handler: a.h, Policies: [{{DynamoDBReadPolicy: {{TableName: !Ref T}}}}]}}}}\n");
        assert_eq!(found(&three), 1);
    }
}
