use crate::declare_rule;
use crate::rules::data::common::refs;
use crate::rules::{Ctx, Diagnostic, Fix, Prop};
use crate::template::Resource;

declare_rule! {
    /// ## What it does
    /// Flags RDS DB instances (`AWS::RDS::DBInstance`) and Multi-AZ DB clusters without
    /// Performance Insights (`EnablePerformanceInsights` / `PerformanceInsightsEnabled` not
    /// `true`). Instance classes and engines that do not support it are skipped: db.t2, db.t3
    /// and db.t4g micro/small, db.t2/db.t3 on Aurora MySQL, and RDS for Db2.
    ///
    /// ## Why is this bad?
    /// When the database slows down or its CPU climbs, the first question is which statements
    /// and which waits carry the load. Performance Insights (now the Standard mode of CloudWatch
    /// Database Insights) records database load by SQL statement, wait event, host and user, so
    /// a missing index or an N+1 pattern shows up by name. Without it that history does not
    /// exist and has to be reconstructed from slow-query logs after the fact. Seven days of
    /// history are included at no charge.
    ///
    /// ## Example
    /// ```yaml
    /// Resources:
    ///   Db:
    ///     Type: AWS::RDS::DBInstance
    ///     Properties:
    ///       Engine: mysql
    ///       DBInstanceClass: db.r6g.large
    ///       AllocatedStorage: '100'
    ///       MasterUsername: admin
    ///       ManageMasterUserPassword: true
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Resources:
    ///   Db:
    ///     Type: AWS::RDS::DBInstance
    ///     Properties:
    ///       Engine: mysql
    ///       DBInstanceClass: db.r6g.large
    ///       AllocatedStorage: '100'
    ///       MasterUsername: admin
    ///       ManageMasterUserPassword: true
    ///       EnablePerformanceInsights: true
    ///       PerformanceInsightsRetentionPeriod: 7
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PerfInsights.html
    /// - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DatabaseInsights.Engines.html
    pub RelationalDbWithoutPerformanceInsights {
        code: "RDS-002",
        name: "relational-db-without-performance-insights",
        severity: Low,
        pillar: Operations,
        symptoms: ["relational-db-load", "missing-observability"],
        remedies: ["db-query-tuning"],
    }
}

/// Whether Performance Insights can run on this engine and class (`None` when unknown).
fn supported(engine: Option<&str>, class: &str) -> bool {
    let class = class.to_ascii_lowercase();
    let engine = engine.map(str::to_ascii_lowercase);
    let tiny = ["db.t2.micro", "db.t2.small", "db.t3.micro", "db.t3.small", "db.t4g.micro", "db.t4g.small"];
    // Previous-generation classes predate Performance Insights.
    if tiny.contains(&class.as_str()) || ["db.t1.", "db.m1.", "db.m2."].iter().any(|p| class.starts_with(p)) {
        return false;
    }
    match engine.as_deref() {
        Some(e) if e.starts_with("db2") => false,
        Some("aurora" | "aurora-mysql") => !(class.starts_with("db.t2.") || class.starts_with("db.t3.")),
        _ => true,
    }
}

fn enabled(ctx: &Ctx<'_>, r: &Resource, key: &str) -> Option<bool> {
    match ctx.bool(r, &[key]) {
        Prop::Known(b, _) => Some(b),
        Prop::Absent => Some(false),
        Prop::Unknown(_) => None,
    }
}

impl RelationalDbWithoutPerformanceInsights {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for r in ctx.resources(&["AWS::RDS::DBInstance", "AWS::RDS::DBCluster"]) {
            let instance = r.type_name == "AWS::RDS::DBInstance";
            let (key, class_key) = if instance { ("EnablePerformanceInsights", "DBInstanceClass") } else { ("PerformanceInsightsEnabled", "DBClusterInstanceClass") };
            // Aurora clusters are judged through their instances; Multi-AZ DB clusters
            // (DBClusterInstanceClass) carry the setting themselves.
            if !instance && ctx.node(r, &[class_key]).is_none() {
                continue;
            }
            if enabled(ctx, r, key) != Some(false) {
                continue;
            }
            if ctx.str(r, &["DatabaseInsightsMode"]).known().is_some_and(|m| m == "advanced") {
                continue;
            }
            let cluster = if instance {
                ctx.node(r, &["DBClusterIdentifier"]).and_then(|n| refs(n).into_iter().find_map(|id| ctx.template.resource(&id).filter(|c| c.type_name == "AWS::RDS::DBCluster")))
            } else {
                None
            };
            if let Some(c) = cluster
                && enabled(ctx, c, "PerformanceInsightsEnabled") != Some(false)
            {
                continue;
            }
            let engine = ctx.str(r, &["Engine"]).known().cloned().or_else(|| cluster.and_then(|c| ctx.str(c, &["Engine"]).known().cloned()));
            let Some(class) = ctx.str(r, &[class_key]).known().cloned() else { continue };
            if !supported(engine.as_deref(), &class) {
                continue;
            }
            let desc = match &engine {
                Some(e) => format!("{e}, {class}"),
                None => class.clone(),
            };
            let value = if ctx.node(r, &[key]).is_some() { "false" } else { "not set, default false" };
            let mut d = ctx.diag(r, &[key], format!(
                "{} ({desc}) runs without Performance Insights ({key} {value}): when the database slows down there is no record of which SQL statements and waits carry the load; 7 days of history are free",
                r.id
            ));
            d.evidence.push(format!("{key} {value}"));
            d.fix = Some(Fix::new(
                "Turn on Performance Insights with the free 7-day retention",
                format!("{key}: true\nPerformanceInsightsRetentionPeriod: 7"),
            ));
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::analyze;

    fn found(text: &str) -> usize {
        analyze(text, &Default::default()).unwrap().findings.iter().filter(|f| f.rule == "RDS-002").count()
    }

    fn db(engine: &str, class: &str) -> String {
        format!("Resources:\n  Db: {{Type: AWS::RDS::DBInstance, Properties: {{Engine: {engine}, DBInstanceClass: {class}}}}}\n")
    }

    #[test]
    fn unsupported_classes_and_engines_are_skipped() {
        assert_eq!(found(&db("mysql", "db.t3.micro")), 0);
        assert_eq!(found(&db("postgres", "db.t4g.small")), 0);
        assert_eq!(found(&db("aurora-mysql", "db.t3.medium")), 0);
        assert_eq!(found(&db("aurora-postgresql", "db.t3.medium")), 1);
        assert_eq!(found(&db("db2-se", "db.r6i.large")), 0);
        assert_eq!(found(&db("postgres", "db.m7g.large")), 1);
    }

    #[test]
    fn unknown_class_or_setting_is_not_reported() {
        let t = "Parameters:\n  C: {Type: String}\nResources:\n  Db: {Type: AWS::RDS::DBInstance, Properties: {Engine: mysql, DBInstanceClass: !Ref C}}\n";
        assert_eq!(found(t), 0);
        let t = "Parameters:\n  P: {Type: String}\nResources:\n  Db: {Type: AWS::RDS::DBInstance, Properties: {Engine: mysql, DBInstanceClass: db.r6g.large, EnablePerformanceInsights: !Ref P}}\n";
        assert_eq!(found(t), 0);
    }
}
