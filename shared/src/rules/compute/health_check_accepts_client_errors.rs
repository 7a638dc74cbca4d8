use crate::declare_rule;
use crate::rules::{Ctx, Diagnostic, Fix};

declare_rule! {
    /// ## What it does
    /// Flags target groups whose health check `Matcher.HttpCode` counts a 4xx answer as healthy
    /// (`200-499`, `200,404`, `200-404`, …).
    ///
    /// ## Why is this bad?
    /// A health check should prove that the target can serve. When 404 or 403 counts as success,
    /// a target whose application is not deployed, answers on the wrong path, or rejects every
    /// request stays "healthy" and keeps receiving traffic, and the Auto Scaling group or ECS
    /// service never replaces it. Point the check at a cheap endpoint that returns 200 without
    /// authentication or redirects, and accept only 2xx.
    ///
    /// ## Example
    /// ```yaml
    /// Resources:
    ///   Web:
    ///     Type: AWS::ElasticLoadBalancingV2::TargetGroup
    ///     Properties:
    ///       Port: 8080
    ///       Protocol: HTTP
    ///       VpcId: vpc-1
    ///       HealthCheckPath: /
    ///       Matcher: {HttpCode: "200-499"}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Resources:
    ///   Web:
    ///     Type: AWS::ElasticLoadBalancingV2::TargetGroup
    ///     Properties:
    ///       Port: 8080
    ///       Protocol: HTTP
    ///       VpcId: vpc-1
    ///       HealthCheckPath: /healthz
    ///       Matcher: {HttpCode: "200"}
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
    /// - https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-elasticloadbalancingv2-targetgroup-matcher.html
    pub HealthCheckAcceptsClientErrors {
        code: "ELB-002",
        name: "health-check-accepts-client-errors",
        severity: Medium,
        pillar: Reliability,
        symptoms: ["unhealthy-targets"],
        remedies: ["alb-health-check-config"],
    }
}

/// The 4xx codes a matcher (`"200,404"`, `"200-499"`) accepts, as written; `None` when a part
/// cannot be read.
pub(crate) fn accepted_client_errors(matcher: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for part in matcher.split(',') {
        let part = part.trim();
        let (lo, hi) = match part.split_once('-') {
            Some((a, b)) => (a.trim().parse::<u32>().ok()?, b.trim().parse::<u32>().ok()?),
            None => {
                let c = part.parse::<u32>().ok()?;
                (c, c)
            }
        };
        if lo <= 499 && hi >= 400 {
            out.push(part.to_string());
        }
    }
    Some(out)
}

impl HealthCheckAcceptsClientErrors {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for tg in ctx.resources(&["AWS::ElasticLoadBalancingV2::TargetGroup"]) {
            if ctx.bool(tg, &["HealthCheckEnabled"]).known() == Some(&false) {
                continue;
            }
            let target_type = ctx.str(tg, &["TargetType"]);
            if target_type.known().is_some_and(|t| t == "lambda") && ctx.bool(tg, &["HealthCheckEnabled"]).known() != Some(&true) {
                continue;
            }
            // HttpCode only applies to HTTP/HTTPS health checks.
            let protocol = ctx.str(tg, &["HealthCheckProtocol"]).known().cloned().or_else(|| ctx.str(tg, &["Protocol"]).known().cloned());
            if protocol.as_deref().is_some_and(|p| !matches!(p, "HTTP" | "HTTPS")) {
                continue;
            }
            let Some(code) = ctx.str(tg, &["Matcher", "HttpCode"]).known().cloned() else { continue };
            let Some(bad) = accepted_client_errors(&code) else { continue };
            if bad.is_empty() {
                continue;
            }
            let path = ctx.str(tg, &["HealthCheckPath"]).known().cloned().unwrap_or_else(|| "/".into());
            let mut d = ctx.diag(tg, &["Matcher", "HttpCode"], format!(
                "{}'s health check on {path} accepts HTTP {code}, including client errors ({}): a target that answers 404 or 403 (application not deployed, wrong path, auth required) counts as healthy and keeps receiving traffic",
                tg.id,
                bad.join(", ")
            ));
            d.evidence.push(format!("Matcher.HttpCode = \"{code}\""));
            d.evidence.push(format!("HealthCheckPath = {path}"));
            d.fix = Some(Fix::new(
                "Check a cheap endpoint that returns 2xx without auth or redirects, and accept only 2xx",
                "HealthCheckPath: /healthz\nMatcher:\n  HttpCode: \"200\"",
            ));
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::accepted_client_errors;

    #[test]
    fn reads_matchers() {
        assert_eq!(accepted_client_errors("200"), Some(vec![]));
        assert_eq!(accepted_client_errors("200-299"), Some(vec![]));
        assert_eq!(accepted_client_errors("200,302"), Some(vec![]));
        assert_eq!(accepted_client_errors("200-499"), Some(vec!["200-499".into()]));
        assert_eq!(accepted_client_errors("200, 404"), Some(vec!["404".into()]));
        assert_eq!(accepted_client_errors("200-399,401"), Some(vec!["401".into()]));
        assert_eq!(accepted_client_errors("abc"), None);
    }
}
