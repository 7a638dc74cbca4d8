use crate::declare_rule;
use crate::rules::ctx::fmt_num;
use crate::rules::data::common::{items, names, refs, str_at, value_at};
use crate::rules::{Ctx, Diagnostic, Fix, Prop};
use crate::template::Resource;
use crate::template::resolve::Resolved;
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Flags DynamoDB tables in provisioned capacity mode (`BillingMode: PROVISIONED`, or no
    /// `BillingMode` with `ProvisionedThroughput`, including SAM `SimpleTable`s with
    /// `ProvisionedThroughput`) that have no `AWS::ApplicationAutoScaling::ScalableTarget` for
    /// their read or write capacity, and names global secondary indexes left at fixed capacity.
    ///
    /// ## Why is this bad?
    /// Fixed capacity is sized for one moment. When traffic grows or spikes beyond it (after
    /// the up to 300 s of burst capacity is spent), DynamoDB rejects requests with
    /// `ProvisionedThroughputExceededException`; SDK retries add latency and then fail. A GSI with
    /// too little write capacity throttles writes to its base table too. Auto scaling (target
    /// tracking at 50-70 % utilisation) or on-demand mode (`PAY_PER_REQUEST`) follows the load;
    /// tables and indexes with unused fixed capacity also cost money for nothing.
    ///
    /// ## Example
    /// ```yaml
    /// Resources:
    ///   Orders:
    ///     Type: AWS::DynamoDB::Table
    ///     Properties:
    ///       AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
    ///       KeySchema: [{AttributeName: pk, KeyType: HASH}]
    ///       ProvisionedThroughput: {ReadCapacityUnits: 5, WriteCapacityUnits: 5}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Resources:
    ///   Orders:
    ///     Type: AWS::DynamoDB::Table
    ///     Properties:
    ///       AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
    ///       KeySchema: [{AttributeName: pk, KeyType: HASH}]
    ///       ProvisionedThroughput: {ReadCapacityUnits: 5, WriteCapacityUnits: 5}
    ///   ReadScaling:
    ///     Type: AWS::ApplicationAutoScaling::ScalableTarget
    ///     Properties:
    ///       ServiceNamespace: dynamodb
    ///       ResourceId: !Sub table/${Orders}
    ///       ScalableDimension: dynamodb:table:ReadCapacityUnits
    ///       MinCapacity: 5
    ///       MaxCapacity: 500
    ///   WriteScaling:
    ///     Type: AWS::ApplicationAutoScaling::ScalableTarget
    ///     Properties:
    ///       ServiceNamespace: dynamodb
    ///       ResourceId: !Sub table/${Orders}
    ///       ScalableDimension: dynamodb:table:WriteCapacityUnits
    ///       MinCapacity: 5
    ///       MaxCapacity: 200
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/AutoScaling.html
    /// - https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/capacity-mode.html
    pub ProvisionedTableWithoutAutoscaling {
        code: "DDB-001",
        name: "provisioned-table-without-autoscaling",
        severity: Medium,
        pillar: Reliability,
        symptoms: ["dynamodb-throttling"],
        remedies: ["dynamodb-capacity-scaling"],
    }
}

/// A DynamoDB scalable target as the template shows it.
struct Target {
    /// Tables it refers to by `Ref`/`Sub`.
    tables: Vec<String>,
    /// The resolved `ResourceId` (`table/orders/index/byDate`) when literal.
    text: Option<String>,
    /// The `ResourceId` as written, for index names inside `Sub`/`Join`.
    raw: String,
    /// `dynamodb:table:ReadCapacityUnits`…; `None` when unknown.
    dimension: Option<String>,
}

impl Target {
    fn covers(&self, table: &Resource, table_name: Option<&str>, index: Option<&str>, dim: &str) -> bool {
        let ours = self.tables.iter().any(|t| t == &table.id)
            || table_name.is_some_and(|n| self.text.as_deref().is_some_and(|t| t == format!("table/{n}") || t.starts_with(&format!("table/{n}/"))));
        if !ours {
            return false;
        }
        // An unknown dimension may be any of them.
        let Some(d) = self.dimension.as_deref() else { return true };
        if !d.ends_with(dim) {
            return false;
        }
        match index {
            None => d.starts_with("dynamodb:table:"),
            Some(i) => d.starts_with("dynamodb:index:") && self.raw.contains(i),
        }
    }
}

fn capacity(ctx: &Ctx<'_>, node: &Node, at: crate::yaml::Pos) -> String {
    let get = |k: &str| match value_at(ctx, node, at, &[k]) {
        Prop::Known(v, _) => v.as_f64().map(fmt_num).unwrap_or_else(|| "?".into()),
        _ => "?".into(),
    };
    format!("{} RCU / {} WCU", get("ReadCapacityUnits"), get("WriteCapacityUnits"))
}

impl ProvisionedTableWithoutAutoscaling {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        let mut targets = Vec::new();
        let mut wildcard = false;
        for t in ctx.resources(&["AWS::ApplicationAutoScaling::ScalableTarget"]) {
            match ctx.str(t, &["ServiceNamespace"]).known() {
                Some(ns) if ns != "dynamodb" => continue,
                _ => {}
            }
            let Some(rid) = ctx.node(t, &["ResourceId"]) else { continue };
            let tables: Vec<String> = refs(rid).into_iter().filter(|id| ctx.template.resource(id).is_some()).collect();
            let text = ctx.resolver.value(rid).text();
            if tables.is_empty() && text.is_none() {
                wildcard = true; // a parameter or import: could be any table
            }
            targets.push(Target {
                tables,
                text,
                raw: rid.to_json().to_string(),
                dimension: ctx.str(t, &["ScalableDimension"]).known().cloned(),
            });
        }
        if wildcard {
            return;
        }
        for r in ctx.resources(&["AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"]) {
            let Some(pt) = ctx.node(r, &["ProvisionedThroughput"]) else { continue };
            if r.type_name == "AWS::DynamoDB::Table" {
                match ctx.str(r, &["BillingMode"]) {
                    Prop::Absent => {}
                    Prop::Known(m, _) if m == "PROVISIONED" => {}
                    _ => continue,
                }
            }
            let name = ctx.str(r, &["TableName"]).known().cloned();
            let covered = |index: Option<&str>, dim: &str| targets.iter().any(|t| t.covers(r, name.as_deref(), index, dim));
            let mut missing = Vec::new();
            if !covered(None, "ReadCapacityUnits") {
                missing.push("reads");
            }
            if !covered(None, "WriteCapacityUnits") {
                missing.push("writes");
            }
            let mut fixed_gsis = Vec::new();
            if let Some(Resolved::List(_)) = ctx.value(r, &["GlobalSecondaryIndexes"]).known() {
                for gsi in items(ctx, ctx.node(r, &["GlobalSecondaryIndexes"])).unwrap_or(&[]) {
                    if gsi.get("ProvisionedThroughput").is_none() {
                        continue;
                    }
                    let Some(index) = str_at(ctx, gsi, r.pos, &["IndexName"]).known().cloned() else { continue };
                    if !covered(Some(&index), "ReadCapacityUnits") || !covered(Some(&index), "WriteCapacityUnits") {
                        fixed_gsis.push(index);
                    }
                }
            }
            if missing.is_empty() && fixed_gsis.is_empty() {
                continue;
            }
            let cap = capacity(ctx, pt, r.pos);
            let table_part = if missing.is_empty() {
                format!("{} scales its table capacity ({cap}) but", r.id)
            } else {
                format!("{} has fixed provisioned capacity ({cap}) with no auto scaling for {}", r.id, missing.join(" or "))
            };
            let gsi_part = match (missing.is_empty(), fixed_gsis.len()) {
                (_, 0) => String::new(),
                (true, 1) => format!(" its GSI {} keeps fixed capacity", fixed_gsis[0]),
                (true, _) => format!(" its GSIs {} keep fixed capacity", names(&fixed_gsis, 3)),
                (false, 1) => format!(", and GSI {} keeps fixed capacity too", fixed_gsis[0]),
                (false, _) => format!(", and GSIs {} keep fixed capacity too", names(&fixed_gsis, 3)),
            };
            let mut d = ctx.diag(r, &["ProvisionedThroughput"], format!(
                "{table_part}{gsi_part}: traffic above it is throttled with ProvisionedThroughputExceededException once burst capacity is spent"
            ));
            d.evidence.push(format!("BillingMode {} with ProvisionedThroughput {cap}", ctx.str(r, &["BillingMode"]).known().cloned().unwrap_or_else(|| "not set (PROVISIONED)".into())));
            if !missing.is_empty() {
                d.evidence.push(format!("no dynamodb ScalableTarget for table {} {}", r.id, missing.join("/")));
            }
            if !fixed_gsis.is_empty() {
                d.evidence.push(format!("GSIs without scaling: {}", fixed_gsis.join(", ")));
            }
            d.fix = Some(Fix::new(
                "Switch to on-demand (BillingMode: PAY_PER_REQUEST, removing ProvisionedThroughput), or add target-tracking auto scaling for reads and writes (and each GSI: ResourceId table/<t>/index/<gsi>, dynamodb:index:*)",
                format!("{id}ReadScaling:\n  Type: AWS::ApplicationAutoScaling::ScalableTarget\n  Properties:\n    ServiceNamespace: dynamodb\n    ResourceId: !Sub table/${{{id}}}\n    ScalableDimension: dynamodb:table:ReadCapacityUnits\n    MinCapacity: 5\n    MaxCapacity: 500\n{id}ReadPolicy:\n  Type: AWS::ApplicationAutoScaling::ScalingPolicy\n  Properties:\n    PolicyName: {id}-read\n    PolicyType: TargetTrackingScaling\n    ScalingTargetId: !Ref {id}ReadScaling\n    TargetTrackingScalingPolicyConfiguration:\n      TargetValue: 70\n      PredefinedMetricSpecification:\n        PredefinedMetricType: DynamoDBReadCapacityUtilization\n# repeat with WriteCapacityUnits / DynamoDBWriteCapacityUtilization", id = r.id),
            ));
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::analyze;

    fn found(text: &str) -> Vec<String> {
        analyze(text, &Default::default()).unwrap().findings.into_iter().filter(|f| f.rule == "DDB-001").map(|f| f.message).collect()
    }

    const TABLE: &str = "
Resources:
  T:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders
      BillingMode: MODE
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      ProvisionedThroughput: {ReadCapacityUnits: 5, WriteCapacityUnits: 5}
      GlobalSecondaryIndexes:
        - IndexName: byDate
          KeySchema: [{AttributeName: pk, KeyType: HASH}]
          Projection: {ProjectionType: ALL}
          ProvisionedThroughput: {ReadCapacityUnits: 5, WriteCapacityUnits: 5}
";

    fn target(id: &str, dim: &str) -> String {
        format!("  {}:\n    Type: AWS::ApplicationAutoScaling::ScalableTarget\n    Properties:\n      ServiceNamespace: dynamodb\n      ResourceId: {id}\n      ScalableDimension: '{dim}'\n      MinCapacity: 1\n      MaxCapacity: 10\n", dim.replace([':', '.'], ""))
    }

    #[test]
    fn on_demand_and_fully_scaled_tables_are_fine() {
        assert!(found(&TABLE.replace("MODE", "PAY_PER_REQUEST")).is_empty());
        let mut t = TABLE.replace("MODE", "PROVISIONED");
        t.push_str(&target("!Sub table/${T}", "dynamodb:table:ReadCapacityUnits"));
        t.push_str(&target("!Join ['/', [table, !Ref T]]", "dynamodb:table:WriteCapacityUnits"));
        let m = found(&t);
        assert_eq!(m.len(), 1, "the GSI still has fixed capacity");
        assert!(m[0].contains("GSI byDate"), "{m:?}");
        t.push_str(&target("table/orders/index/byDate", "dynamodb:index:ReadCapacityUnits"));
        t.push_str(&target("!Sub table/${T}/index/byDate", "dynamodb:index:WriteCapacityUnits"));
        assert!(found(&t).is_empty(), "literal names and Sub both match");
    }

    #[test]
    fn missing_write_scaling_is_named() {
        let mut t = TABLE.replace("MODE", "PROVISIONED");
        t.push_str(&target("!Sub table/${T}", "dynamodb:table:ReadCapacityUnits"));
        let m = found(&t);
        assert!(m[0].contains("no auto scaling for writes"), "{m:?}");
    }

    #[test]
    fn simple_table_is_on_demand_unless_provisioned() {
        let t = "
Transform: AWS::Serverless-2016-10-31
Resources:
  S: {Type: AWS::Serverless::SimpleTable}
  P:
    Type: AWS::Serverless::SimpleTable
    Properties: {ProvisionedThroughput: {ReadCapacityUnits: 2, WriteCapacityUnits: 2}}
";
        let m = found(t);
        assert_eq!(m.len(), 1);
        assert!(m[0].starts_with("P "), "{m:?}");
    }
}
