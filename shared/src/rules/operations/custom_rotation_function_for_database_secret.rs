use crate::declare_rule;
use crate::rules::messaging::common::first_target;
use crate::rules::{Ctx, Diagnostic, Fix};
use crate::template::Resource;

declare_rule! {
    /// ## What it does
    /// Reports, as advice, Secrets Manager rotation schedules for database secrets (secrets with
    /// an `AWS::SecretsManager::SecretTargetAttachment`) whose `RotationLambdaARN` is a function
    /// written in the template, rather than `HostedRotationLambda` or a rotation application from
    /// the Serverless Application Repository.
    ///
    /// ## Why is this bad?
    /// Rotating RDS, Aurora, Redshift or DocumentDB credentials is solved: AWS publishes
    /// maintained rotation functions for single-user and alternating-users strategies, in the
    /// Serverless Application Repository and through `HostedRotationLambda`, which deploys one for
    /// you with the right permissions and VPC settings. A hand-written rotation function is code
    /// you must keep correct through four rotation steps (create, set, test, finish), patch and
    /// upgrade. Keep it only when the rotation needs logic the published functions lack.
    ///
    /// ## Example
    /// ```yaml
    /// Resources:
    ///   DbSecret:
    ///     Type: AWS::SecretsManager::Secret
    ///     Properties:
    ///       GenerateSecretString: {SecretStringTemplate: '{"username": "app"}', GenerateStringKey: password, ExcludePunctuation: true}
    ///   Db:
    ///     Type: AWS::RDS::DBInstance
    ///     Properties:
    ///       Engine: postgres
    ///       DBInstanceClass: db.t4g.micro
    ///       AllocatedStorage: "20"
    ///       MasterUsername: app
    ///       MasterUserPassword: '{{resolve:secretsmanager:DbSecret:SecretString:password}}'
    ///   Attachment:
    ///     Type: AWS::SecretsManager::SecretTargetAttachment
    ///     Properties: {SecretId: !Ref DbSecret, TargetId: !Ref Db, TargetType: AWS::RDS::DBInstance}
    ///   Rotator:
    ///     Type: AWS::Lambda::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: rotate.handler
    ///       Role: arn:aws:iam::123456789012:role/rotator
    ///       Code: {S3Bucket: my-code, S3Key: rotate.zip}
    ///   Rotation:
    ///     Type: AWS::SecretsManager::RotationSchedule
    ///     Properties:
    ///       SecretId: !Ref DbSecret
    ///       RotationLambdaARN: !GetAtt Rotator.Arn
    ///       RotationRules: {AutomaticallyAfterDays: 30}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Transform: AWS::SecretsManager-2020-07-23
    /// Resources:
    ///   DbSecret:
    ///     Type: AWS::SecretsManager::Secret
    ///     Properties:
    ///       GenerateSecretString: {SecretStringTemplate: '{"username": "app"}', GenerateStringKey: password, ExcludePunctuation: true}
    ///   Db:
    ///     Type: AWS::RDS::DBInstance
    ///     Properties:
    ///       Engine: postgres
    ///       DBInstanceClass: db.t4g.micro
    ///       AllocatedStorage: "20"
    ///       MasterUsername: app
    ///       MasterUserPassword: '{{resolve:secretsmanager:DbSecret:SecretString:password}}'
    ///   Attachment:
    ///     Type: AWS::SecretsManager::SecretTargetAttachment
    ///     Properties: {SecretId: !Ref DbSecret, TargetId: !Ref Db, TargetType: AWS::RDS::DBInstance}
    ///   Rotation:
    ///     Type: AWS::SecretsManager::RotationSchedule
    ///     Properties:
    ///       SecretId: !Ref DbSecret
    ///       HostedRotationLambda: {RotationType: PostgreSQLSingleUser}
    ///       RotationRules: {AutomaticallyAfterDays: 30}
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_available-rotation-templates.html
    /// - https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-secretsmanager-rotationschedule-hostedrotationlambda.html
    /// - https://docs.aws.amazon.com/serverlessrepo/latest/devguide/what-is-serverlessrepo.html
    pub CustomRotationFunctionForDatabaseSecret {
        code: "OPS-006",
        name: "custom-rotation-function-for-database-secret",
        severity: Info,
        pillar: Operations,
        symptoms: [],
        remedies: ["serverless-app-repository"],
    }
}

/// The HostedRotationLambda rotation type for a database, when its engine is known.
fn rotation_type(ctx: &Ctx<'_>, db: &Resource) -> Option<&'static str> {
    match db.type_name.as_str() {
        "AWS::Redshift::Cluster" | "AWS::RedshiftServerless::Namespace" => return Some("RedshiftSingleUser"),
        "AWS::DocDB::DBInstance" | "AWS::DocDB::DBCluster" => return Some("MongoDBSingleUser"),
        _ => {}
    }
    let engine = ctx.str(db, &["Engine"]).known()?.to_ascii_lowercase();
    Some(match engine.as_str() {
        e if e.contains("postgres") => "PostgreSQLSingleUser",
        e if e.contains("mysql") => "MySQLSingleUser",
        e if e.contains("mariadb") => "MariaDBSingleUser",
        e if e.starts_with("oracle") => "OracleSingleUser",
        e if e.starts_with("sqlserver") => "SQLServerSingleUser",
        _ => return None,
    })
}

impl CustomRotationFunctionForDatabaseSecret {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        let attachments: Vec<_> = ctx.resources(&["AWS::SecretsManager::SecretTargetAttachment"]).collect();
        if attachments.is_empty() {
            return;
        }
        for schedule in ctx.resources(&["AWS::SecretsManager::RotationSchedule"]) {
            if ctx.node(schedule, &["HostedRotationLambda"]).is_some() {
                continue;
            }
            let Some(function) = ctx.node(schedule, &["RotationLambdaARN"]).and_then(|n| first_target(ctx, n)) else { continue };
            if !function.is_function() {
                continue;
            }
            let Some(secret) = ctx.node(schedule, &["SecretId"]).and_then(|n| first_target(ctx, n)).filter(|s| s.type_name == "AWS::SecretsManager::Secret") else { continue };
            let Some((attachment, db)) = attachments.iter().find_map(|a| {
                let s = ctx.node(a, &["SecretId"]).and_then(|n| first_target(ctx, n))?;
                (s.id == secret.id).then(|| (*a, ctx.node(a, &["TargetId"]).and_then(|n| first_target(ctx, n))))
            }) else {
                continue;
            };
            let kind = db.and_then(|d| rotation_type(ctx, d));
            let db_text = db.map_or_else(|| "a database".to_string(), |d| format!("{} ({})", d.id, d.type_name));
            let mut d = ctx.diag(schedule, &["RotationLambdaARN"], format!(
                "{} rotates {}, the credentials of {db_text}, with {}, a function written in this template: AWS publishes maintained rotation functions for this case (HostedRotationLambda, or the Serverless Application Repository)",
                schedule.id, secret.id, function.id
            ));
            d.evidence.push(format!("RotationLambdaARN -> {} ({})", function.id, function.type_name));
            d.evidence.push(format!("{} attaches {} to {db_text}", attachment.id, secret.id));
            d.fix = Some(Fix::new(
                "Use an AWS-maintained rotation function (needs Transform AWS::SecretsManager-2020-07-23), unless the rotation needs custom logic",
                format!("HostedRotationLambda:\n  RotationType: {}", kind.unwrap_or("<engine>SingleUser")),
            ));
            out.push(d);
        }
    }
}
