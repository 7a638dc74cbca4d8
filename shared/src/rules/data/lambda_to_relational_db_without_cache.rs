use std::collections::BTreeMap;

use crate::declare_rule;
use crate::rules::data::common::{DB_TYPES, names, refs};
use crate::rules::{Ctx, Diagnostic, Fix};
use crate::template::Resource;

declare_rule! {
    /// ## What it does
    /// Flags relational databases (`AWS::RDS::DBInstance`, `AWS::RDS::DBCluster`) that Lambda
    /// functions use, directly or through the database's Secrets Manager secret or their role,
    /// when the template has no cache (`AWS::ElastiCache::*`, `AWS::MemoryDB::Cluster`) and no
    /// RDS Proxy.
    ///
    /// ## Why is this bad?
    /// Every function invocation that reads data then runs a query: product pages, profiles and
    /// configuration are fetched again and again, costing database CPU, I/O and connections, and
    /// Lambda's scale-out multiplies them. The database becomes the bottleneck long before the
    /// functions do. A read-through cache (ElastiCache for Redis OSS/Valkey) with TTLs answers hot
    /// reads in well under a millisecond; tuning the remaining queries (indexes, no N+1 loops)
    /// shortens the rest. Caching adds staleness to manage and a VPC-only service to run.
    ///
    /// ## Example
    /// ```yaml
    /// Resources:
    ///   Db:
    ///     Type: AWS::RDS::DBInstance
    ///     Properties:
    ///       Engine: postgres
    ///       DBInstanceClass: db.r6g.large
    ///       AllocatedStorage: '100'
    ///       MasterUsername: app
    ///       ManageMasterUserPassword: true
    ///   Orders:
    ///     Type: AWS::Lambda::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       Role: arn:aws:iam::123456789012:role/orders
    ///       Code: {ZipFile: "def handler(e, c): return e"}
    ///       Environment:
    ///         Variables: {DB_HOST: !GetAtt Db.Endpoint.Address}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Resources:
    ///   Db:
    ///     Type: AWS::RDS::DBInstance
    ///     Properties:
    ///       Engine: postgres
    ///       DBInstanceClass: db.r6g.large
    ///       AllocatedStorage: '100'
    ///       MasterUsername: app
    ///       ManageMasterUserPassword: true
    ///   Cache:
    ///     Type: AWS::ElastiCache::ServerlessCache
    ///     Properties:
    ///       Engine: valkey
    ///       ServerlessCacheName: orders-cache
    ///   Orders:
    ///     Type: AWS::Lambda::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       Role: arn:aws:iam::123456789012:role/orders
    ///       Code: {ZipFile: "def handler(e, c): return e"}
    ///       Environment:
    ///         Variables:
    ///           DB_HOST: !GetAtt Db.Endpoint.Address
    ///           CACHE_HOST: !GetAtt Cache.Endpoint.Address
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Strategies.html
    /// - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_BestPractices.html
    pub LambdaToRelationalDbWithoutCache {
        code: "RDS-001",
        name: "lambda-to-relational-db-without-cache",
        severity: Low,
        pillar: Performance,
        symptoms: ["relational-db-load"],
        remedies: ["elasticache-read-cache", "db-query-tuning"],
    }
}

fn is_cache(type_name: &str) -> bool {
    type_name.starts_with("AWS::ElastiCache::") || type_name == "AWS::MemoryDB::Cluster" || type_name == "AWS::RDS::DBProxy"
}

impl LambdaToRelationalDbWithoutCache {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        if ctx.template.resources.iter().any(|r| is_cache(&r.type_name) && ctx.resolver.resource_may_exist(r.condition.as_deref())) {
            return;
        }
        // The database each resource stands for: itself, its cluster, or the DB a secret is attached to.
        let mut stands_for: BTreeMap<String, String> = BTreeMap::new();
        let dbs: Vec<&Resource> = ctx.resources(DB_TYPES).collect();
        if dbs.is_empty() {
            return;
        }
        for db in &dbs {
            let root = if db.type_name == "AWS::RDS::DBInstance" {
                ctx.node(db, &["DBClusterIdentifier"])
                    .and_then(|n| refs(n).into_iter().find(|id| ctx.type_of(id) == "AWS::RDS::DBCluster"))
                    .unwrap_or_else(|| db.id.clone())
            } else {
                db.id.clone()
            };
            stands_for.insert(db.id.clone(), root);
        }
        for att in ctx.resources(&["AWS::SecretsManager::SecretTargetAttachment"]) {
            let target = ctx.node(att, &["TargetId"]).and_then(|n| refs(n).into_iter().find(|id| stands_for.contains_key(id)));
            let secret = ctx.node(att, &["SecretId"]).and_then(|n| refs(n).into_iter().next());
            if let (Some(t), Some(s)) = (target, secret) {
                let root = stands_for[&t].clone();
                stands_for.insert(s, root);
            }
        }
        // Functions per database, through their own edges or their role's.
        let mut users: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for f in ctx.functions() {
            // Custom resource handlers (schema setup, seeding) are not on a request path.
            if ctx.arch.edges_to(&f.id).any(|e| {
                let t = ctx.type_of(&e.from);
                t.starts_with("Custom::") || t == "AWS::CloudFormation::CustomResource"
            }) {
                continue;
            }
            let mut sources = vec![f.id.clone()];
            if let Some(role) = ctx.node(f, &["Role"]).and_then(|n| refs(n).into_iter().next())
                && ctx.type_of(&role) == "AWS::IAM::Role"
            {
                sources.push(role);
            }
            for src in &sources {
                for e in ctx.arch.edges_from(src) {
                    if let Some(root) = stands_for.get(&e.to) {
                        let list = users.entry(root.clone()).or_default();
                        if !list.contains(&f.id) {
                            list.push(f.id.clone());
                        }
                    }
                }
            }
        }
        for (db_id, functions) in users {
            let Some(db) = ctx.template.resource(&db_id) else { continue };
            let engine = ctx.str(db, &["Engine"]).known().cloned();
            let what = match &engine {
                Some(e) => format!("{db_id} ({e})"),
                None => db_id.clone(),
            };
            let mut d = ctx.diag(db, &[], format!(
                "{what} is queried by {} function{} ({}) and the template has no cache or RDS Proxy in front of it: every read is a database query, and Lambda scale-out multiplies them; cache hot reads in ElastiCache with a TTL and tune the heaviest queries",
                functions.len(),
                if functions.len() == 1 { "" } else { "s" },
                names(&functions, 4),
            ));
            d.evidence.push(format!("functions using {db_id}: {}", functions.join(", ")));
            d.evidence.push("no AWS::ElastiCache::*, AWS::MemoryDB::Cluster or AWS::RDS::DBProxy in the template".into());
            d.fix = Some(Fix::new(
                "Add a read-through cache with TTLs in the database's VPC (functions create the client outside the handler), and find the slow queries with Performance Insights",
                "ReadCache:\n  Type: AWS::ElastiCache::ServerlessCache\n  Properties:\n    ServerlessCacheName: read-cache\n    Engine: valkey\n    SubnetIds: [!Ref PrivateSubnetA, !Ref PrivateSubnetB]\n    SecurityGroupIds: [!Ref CacheSecurityGroup]   # inbound 6379 from the functions",
            ));
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::analyze;

    fn found(text: &str) -> Vec<String> {
        analyze(text, &Default::default()).unwrap().findings.into_iter().filter(|f| f.rule == "RDS-001").map(|f| f.resource.unwrap_or_default()).collect()
    }

    #[test]
    fn cluster_members_and_secrets_lead_to_the_cluster() {
        let t = "
Transform: AWS::Serverless-2016-10-31
Resources:
  Cluster: {Type: AWS::RDS::DBCluster, Properties: {Engine: aurora-postgresql, MasterUsername: a, MasterUserPassword: b}}
  Writer: {Type: AWS::RDS::DBInstance, Properties: {Engine: aurora-postgresql, DBClusterIdentifier: !Ref Cluster, DBInstanceClass: db.r6g.large}}
  Secret: {Type: AWS::SecretsManager::Secret}
  Attach: {Type: AWS::SecretsManager::SecretTargetAttachment, Properties: {SecretId: !Ref Secret, TargetId: !Ref Cluster, TargetType: AWS::RDS::DBCluster}}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      Policies: [{AWSSecretsManagerGetSecretValuePolicy: {SecretArn: !Ref Secret}}]
";
        assert_eq!(found(t), vec!["Cluster".to_string()]);
        let proxy = format!("{t}  Proxy: {{Type: AWS::RDS::DBProxy}}\n");
        assert!(found(&proxy).is_empty());
    }
}
