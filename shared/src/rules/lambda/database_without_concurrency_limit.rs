use crate::architecture::EdgeKind;
use crate::declare_rule;
use crate::rules::{Ctx, Diagnostic, Fix};
use crate::yaml::Node;

use super::common;

const DATABASES: &[&str] = &["AWS::RDS::DBInstance", "AWS::RDS::DBCluster"];

declare_rule! {
    /// ## What it does
    /// Flags functions that use a relational database (they refer to an `AWS::RDS::DBInstance`
    /// or `AWS::RDS::DBCluster`, typically its endpoint in an environment variable) without
    /// `ReservedConcurrentExecutions`. Functions that reach the database through an RDS Proxy or
    /// the Aurora Data API, functions called only by schedules or by SQS events with
    /// `MaximumConcurrency`, and custom resource handlers are left out.
    ///
    /// ## Why is this bad?
    /// Every concurrent execution environment opens its own database connection. Without a
    /// limit, a burst of traffic scales the function to the account's concurrency (1,000 by
    /// default), far beyond the database's `max_connections`: new connections are refused,
    /// queries queue up and the database's CPU and memory go to connection handling, failing
    /// every other client too. Reserved concurrency caps the function so that the database
    /// stays within its connection budget; excess requests are throttled instead. Caching
    /// reads (ElastiCache) takes load off the database as well.
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   OrdersDb:
    ///     Type: AWS::RDS::DBInstance
    ///     Properties: {Engine: postgres, DBInstanceClass: db.t4g.micro, AllocatedStorage: '20'}
    ///   ListOrders:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       CodeUri: src/
    ///       Environment:
    ///         Variables:
    ///           DB_HOST: !GetAtt OrdersDb.Endpoint.Address
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   OrdersDb:
    ///     Type: AWS::RDS::DBInstance
    ///     Properties: {Engine: postgres, DBInstanceClass: db.t4g.micro, AllocatedStorage: '20'}
    ///   ListOrders:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       CodeUri: src/
    ///       ReservedConcurrentExecutions: 20
    ///       Environment:
    ///         Variables:
    ///           DB_HOST: !GetAtt OrdersDb.Endpoint.Address
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
    /// - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.html
    pub DatabaseWithoutConcurrencyLimit {
        code: "LAMBDA-012",
        name: "database-consumer-without-concurrency-limit",
        severity: Medium,
        pillar: Reliability,
        symptoms: ["relational-db-load", "lambda-throttling"],
        remedies: ["lambda-reserved-concurrency", "elasticache-read-cache"],
    }
}

/// A reference (environment variable with the endpoint, name or ARN) means the function talks
/// to the database. Reads/writes inferred from IAM statements on RDS resources are control-plane
/// actions (`rds:Describe*`, `rds:CreateDBSnapshot`, ...) and say nothing about connections.
const USES: &[EdgeKind] = &[EdgeKind::References];

impl DatabaseWithoutConcurrencyLimit {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for r in ctx.functions() {
            let mut dbs: Vec<&str> = Vec::new();
            let mut proxied = false;
            for e in ctx.edges_from(&r.id, USES) {
                let t = ctx.type_of(&e.to);
                if t == "AWS::RDS::DBProxy" || t == "AWS::RDS::DBProxyEndpoint" {
                    proxied = true;
                } else if DATABASES.contains(&t) && !dbs.contains(&e.to.as_str()) {
                    // The Aurora Data API holds no connection per environment.
                    let data_api = ctx.template.resource(&e.to).is_some_and(|db| ctx.bool(db, &["EnableHttpEndpoint"]).known() == Some(&true));
                    if !data_api {
                        dbs.push(e.to.as_str());
                    }
                }
            }
            if dbs.is_empty() || proxied || !ctx.value(r, &["ReservedConcurrentExecutions"]).is_absent() {
                continue;
            }
            if common::is_control_plane_function(ctx, r) || naturally_bounded(ctx, r) {
                continue;
            }
            let names: Vec<String> = dbs.iter().map(|d| format!("{d} ({})", ctx.type_of(d))).collect();
            let mut d = ctx.diag(r, &["ReservedConcurrentExecutions"], format!(
                "{} connects to {} but has no ReservedConcurrentExecutions: a burst can scale it to the account's concurrency limit (1,000 by default), each environment holding its own connection, and exhaust the database's max_connections",
                r.id,
                names.join(", ")
            ));
            for n in &names {
                d.evidence.push(format!("uses {n}"));
            }
            d.evidence.push("ReservedConcurrentExecutions not set (scales up to the unreserved account concurrency)".into());
            d.evidence.push("no RDS Proxy between the function and the database".into());
            d.fix = Some(Fix::new(
                "Cap concurrency below the database's connection budget (max_connections divided by connections per environment); an RDS Proxy or a read cache lowers the pressure further",
                "ReservedConcurrentExecutions: 20",
            ));
            out.push(d);
        }
    }
}

/// Every caller bounds the concurrency itself: schedules (one run at a time) and SQS events
/// with `ScalingConfig.MaximumConcurrency`.
fn naturally_bounded(ctx: &Ctx<'_>, r: &crate::template::Resource) -> bool {
    let events = r.properties.get("Events").and_then(Node::as_map).unwrap_or(&[]);
    let events_bounded = events.iter().all(|(_, e)| match e.get("Type").and_then(Node::as_str) {
        Some("Schedule" | "ScheduleV2") => true,
        Some("SQS") => e.get("Properties").and_then(|p| p.get("ScalingConfig")).and_then(|s| s.get("MaximumConcurrency")).is_some(),
        _ => false,
    });
    let mut callers = events.len();
    let others_bounded = ctx
        .arch
        .edges_to(&r.id)
        .filter(|e| matches!(e.kind, EdgeKind::Invokes | EdgeKind::Triggers | EdgeKind::Publishes) && !e.via.starts_with("Events."))
        .all(|e| {
            callers += 1;
            let Some(src) = ctx.template.resource(&e.from) else { return false };
            src.type_name == "AWS::Scheduler::Schedule" || (src.type_name == "AWS::Events::Rule" && src.prop("ScheduleExpression").is_some() && src.prop("EventPattern").is_none())
        });
    callers > 0 && events_bounded && others_bounded
}

#[cfg(test)]
mod tests {
    use crate::analysis::analyze;

    fn found(text: &str) -> Vec<String> {
        analyze(text, &Default::default()).unwrap().findings.into_iter().filter(|f| f.rule == "LAMBDA-012").map(|f| f.resource.unwrap_or_default()).collect()
    }

    #[test]
    fn proxy_data_api_bounded_sqs_and_iam_statements() {
        let f = found("
Transform: AWS::Serverless-2016-10-31
Resources:
  Db: {Type: AWS::RDS::DBCluster, Properties: {Engine: aurora-postgresql}}
  DataApiDb: {Type: AWS::RDS::DBCluster, Properties: {Engine: aurora-postgresql, EnableHttpEndpoint: true}}
  Proxy: {Type: AWS::RDS::DBProxy, Properties: {EngineFamily: POSTGRESQL}}
  Jobs: {Type: AWS::SQS::Queue}
  ViaProxy:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      CodeUri: a/
      Environment: {Variables: {HOST: !GetAtt Proxy.Endpoint, CLUSTER: !Ref Db}}
  DataApi:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      CodeUri: a/
      Environment: {Variables: {CLUSTER: !GetAtt DataApiDb.DBClusterArn}}
  Bounded:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      CodeUri: a/
      Environment: {Variables: {HOST: !GetAtt Db.Endpoint.Address}}
      Events:
        Q: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn, ScalingConfig: {MaximumConcurrency: 5}}}
  Nightly:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      CodeUri: a/
      Environment: {Variables: {HOST: !GetAtt Db.Endpoint.Address}}
      Events:
        Tick: {Type: Schedule, Properties: {Schedule: cron(0 3 * * ? *)}}
  Stopper:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: !GetAtt StopperRole.Arn, Code: {ZipFile: x}}
  StopperRole:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyDocument:
            Statement: [{Effect: Allow, Action: ['rds:StopDBCluster', 'rds:DescribeDBClusters'], Resource: !GetAtt Db.DBClusterArn}]
  Unbounded:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      CodeUri: a/
      Environment: {Variables: {HOST: !GetAtt Db.Endpoint.Address}}
      Events:
        Q: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn}}
");
        assert_eq!(f, ["Unbounded"]);
    }
}
