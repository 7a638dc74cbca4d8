use crate::declare_rule;
use crate::rules::{Ctx, Diagnostic, Fix};

declare_rule! {
    /// ## What it does
    /// Reports, as advice, templates that store SSM parameters or Secrets Manager secrets but
    /// define no CloudTrail trail.
    ///
    /// ## Why is this bad?
    /// Who read a secret or a parameter, and when, is answered by CloudTrail: `GetSecretValue`,
    /// `GetParameter` and their writes are recorded as management events. Without a trail, only
    /// the last 90 days are visible in Event history, with no copy in S3, no log file integrity
    /// validation and nothing to alert on. Most organisations already run an account or
    /// organization trail, in which case nothing needs to change; this finding asks you to make
    /// sure one exists.
    ///
    /// ## Example
    /// ```yaml
    /// Resources:
    ///   DbPassword:
    ///     Type: AWS::SecretsManager::Secret
    ///     Properties:
    ///       GenerateSecretString: {PasswordLength: 32, ExcludePunctuation: true}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Resources:
    ///   DbPassword:
    ///     Type: AWS::SecretsManager::Secret
    ///     Properties:
    ///       GenerateSecretString: {PasswordLength: 32, ExcludePunctuation: true}
    ///   AuditTrail:
    ///     Type: AWS::CloudTrail::Trail
    ///     Properties:
    ///       IsLogging: true
    ///       IsMultiRegionTrail: true
    ///       EnableLogFileValidation: true
    ///       S3BucketName: my-audit-logs
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/secretsmanager/latest/userguide/monitoring-cloudtrail.html
    /// - https://docs.aws.amazon.com/systems-manager/latest/userguide/monitoring-cloudtrail-logs.html
    /// - https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-cloudtrail-events.html
    pub SecretsWithoutAuditTrail {
        code: "OPS-005",
        name: "secrets-without-audit-trail",
        severity: Info,
        pillar: Security,
        symptoms: ["missing-observability"],
        remedies: ["cloudtrail-audit"],
    }
}

impl SecretsWithoutAuditTrail {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        if ctx.resources(&["AWS::CloudTrail::Trail"]).next().is_some() {
            return;
        }
        let stored: Vec<_> = ctx.resources(&["AWS::SSM::Parameter", "AWS::SecretsManager::Secret"]).collect();
        let Some(first) = stored.first() else { return };
        let names: Vec<&str> = stored.iter().map(|r| r.id.as_str()).collect();
        let shown = if names.len() > 3 { format!("{} and {} more", names[..3].join(", "), names.len() - 3) } else { names.join(", ") };
        let mut d = ctx.template_diag(format!(
            "The template stores {} ({shown}) but defines no CloudTrail trail: unless an account or organization trail already exists, who read or changed them is visible only in the last 90 days of Event history",
            if names.len() == 1 { "a secret or parameter".to_string() } else { format!("{} secrets and parameters", names.len()) }
        ), first.pos);
        for r in &stored {
            d.evidence.push(format!("{} ({})", r.id, r.type_name));
        }
        d.evidence.push("no AWS::CloudTrail::Trail in the template".into());
        d.fix = Some(Fix::new(
            "Make sure an account or organization trail records management events; if none exists, add one",
            "AuditTrail:\n  Type: AWS::CloudTrail::Trail\n  Properties:\n    IsLogging: true\n    IsMultiRegionTrail: true\n    EnableLogFileValidation: true\n    S3BucketName: !Ref AuditLogBucket",
        ));
        out.push(d);
    }
}
