//! Helpers shared by the compute rules (and used by the messaging and operations rules): the
//! written text of a value whose intrinsics cannot all be resolved, security-group reachability,
//! load balancer wiring, and Application Auto Scaling targets of ECS services.

use crate::rules::Ctx;
use crate::rules::messaging::common::{QUEUE, all_targets, first_target};
use crate::template::Resource;
use crate::yaml::{Node, Scalar, Value, scalar_text};

/// Stands for a part of a text that is only known at deploy time.
pub(crate) const UNKNOWN_PART: &str = "${?}";

/// The text a value would have, with every part the template does not determine replaced by
/// `${Name}` (for `${Name}` in `Fn::Sub` naming a resource or attribute) or [`UNKNOWN_PART`].
/// Follows `Fn::Base64`, `Fn::Sub`, `Fn::Join` and known `Fn::If` branches, so scripts such as
/// UserData and names such as `/aws/lambda/${Fn}` can be read. `None` for lists and maps.
pub(crate) fn raw_text(ctx: &Ctx<'_>, node: &Node) -> Option<String> {
    let mut out = String::new();
    write_text(ctx, node, &mut out, 0).then_some(out)
}

fn write_text(ctx: &Ctx<'_>, node: &Node, out: &mut String, depth: usize) -> bool {
    if depth > 32 {
        out.push_str(UNKNOWN_PART);
        return true;
    }
    match &node.value {
        Value::Scalar(Scalar::Str(s)) => out.push_str(s),
        Value::Scalar(s) => out.push_str(&scalar_text(s)),
        Value::Seq(_) => return false,
        Value::Map(_) => {
            let Some((name, args)) = node.single_key() else { return false };
            match name {
                "Fn::Base64" => return write_text(ctx, args, out, depth + 1),
                "Fn::Sub" => {
                    let (text, vars) = match (&args.value, args.as_seq()) {
                        (Value::Scalar(Scalar::Str(s)), _) => (s.as_str(), None),
                        (_, Some([t, vars, ..])) => match t.as_str() {
                            Some(s) => (s, Some(vars)),
                            None => {
                                out.push_str(UNKNOWN_PART);
                                return true;
                            }
                        },
                        _ => {
                            out.push_str(UNKNOWN_PART);
                            return true;
                        }
                    };
                    write_sub(ctx, text, vars, out, depth);
                }
                "Fn::Join" => {
                    let Some([delim, list]) = args.as_seq() else {
                        out.push_str(UNKNOWN_PART);
                        return true;
                    };
                    let delim = delim.as_str().map(String::from).unwrap_or_else(|| ctx.resolver.value(delim).text().unwrap_or_default());
                    match list.as_seq() {
                        Some(items) => {
                            for (i, item) in items.iter().enumerate() {
                                if i > 0 {
                                    out.push_str(&delim);
                                }
                                if !write_text(ctx, item, out, depth + 1) {
                                    out.push_str(UNKNOWN_PART);
                                }
                            }
                        }
                        None => out.push_str(UNKNOWN_PART),
                    }
                }
                "Fn::If" => match ctx.resolver.select(node) {
                    Some(chosen) if !std::ptr::eq(chosen, node) => return write_text(ctx, chosen, out, depth + 1),
                    _ => out.push_str(UNKNOWN_PART),
                },
                _ => match ctx.resolver.value(node).text() {
                    Some(t) => out.push_str(&t),
                    None => out.push_str(UNKNOWN_PART),
                },
            }
        }
    }
    true
}

fn write_sub(ctx: &Ctx<'_>, text: &str, vars: Option<&Node>, out: &mut String, depth: usize) {
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return;
        };
        let name = &after[..end];
        if let Some(literal) = name.strip_prefix('!') {
            out.push_str("${");
            out.push_str(literal);
            out.push('}');
        } else if let Some(var) = vars.and_then(|v| v.get(name)) {
            if !write_text(ctx, var, out, depth + 1) {
                out.push_str(UNKNOWN_PART);
            }
        } else if ctx.template.parameter(name).is_some() {
            match ctx.template.parameter(name).and_then(|p| p.default.as_ref()).and_then(|d| ctx.resolver.value(d).text()) {
                Some(t) => out.push_str(&t),
                None => out.push_str(UNKNOWN_PART),
            }
        } else {
            // A resource, an attribute or a pseudo parameter: keep its name.
            out.push_str("${");
            out.push_str(name);
            out.push('}');
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
}

// ---------------------------------------------------------------------------------------------
// Security groups

/// What a security-group ingress rule lets in, as far as the template says.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reach {
    /// Allows the port from one of the given source groups.
    Yes,
    /// Does not allow it (wrong protocol or port, or another source group).
    No,
    /// Cannot tell: a CIDR or prefix list source, a source group outside the template, or
    /// values only known at deploy time.
    Maybe,
}

/// The security groups a node lists, when each is a security group of the template;
/// `None` when any entry is something else (a parameter, an import, a literal id).
pub(crate) fn template_groups<'a>(ctx: &Ctx<'a>, node: Option<&Node>) -> Option<Vec<&'a Resource>> {
    let node = ctx.resolver.select(node?)?;
    let items = node.as_seq()?;
    let mut out = Vec::new();
    for item in items {
        let item = ctx.resolver.select(item)?;
        let target = first_target(ctx, item)?;
        if target.type_name != "AWS::EC2::SecurityGroup" {
            return None;
        }
        out.push(target);
    }
    Some(out)
}

fn port_of(ctx: &Ctx<'_>, node: Option<&Node>) -> Option<Option<i64>> {
    match node {
        None => Some(None),
        Some(n) => ctx.resolver.value(n).as_f64().map(|v| Some(v as i64)),
    }
}

/// Whether one ingress rule (inline entry or `AWS::EC2::SecurityGroupIngress` properties)
/// lets TCP traffic on `port` in from one of `sources` (security group ids of the template).
pub(crate) fn rule_reach(ctx: &Ctx<'_>, rule: &Node, port: i64, sources: &[&str]) -> Reach {
    let Some(rule) = ctx.resolver.select(rule) else { return Reach::Maybe };
    let Some(protocol) = rule.get("IpProtocol").and_then(|n| ctx.resolver.value(n).text()) else { return Reach::Maybe };
    let all = matches!(protocol.to_ascii_lowercase().as_str(), "-1" | "all");
    if !all && !matches!(protocol.to_ascii_lowercase().as_str(), "tcp" | "6") {
        return Reach::No;
    }
    if !all {
        let (Some(from), Some(to)) = (port_of(ctx, rule.get("FromPort")), port_of(ctx, rule.get("ToPort"))) else { return Reach::Maybe };
        let from = from.unwrap_or(-1);
        let to = to.unwrap_or(from);
        let covers = from == -1 || (from <= port && port <= to.max(from));
        if !covers {
            return Reach::No;
        }
    }
    if rule.get("CidrIp").is_some() || rule.get("CidrIpv6").is_some() || rule.get("SourcePrefixListId").is_some() {
        return Reach::Maybe;
    }
    let source = rule.get("SourceSecurityGroupId").or_else(|| rule.get("SourceSecurityGroupName"));
    match source.and_then(|n| first_target(ctx, n)) {
        Some(sg) if sources.contains(&sg.id.as_str()) => Reach::Yes,
        Some(sg) if sg.type_name == "AWS::EC2::SecurityGroup" => Reach::No,
        _ => Reach::Maybe,
    }
}

/// Whether any ingress rule of the groups lets TCP `port` in from `sources`: the inline
/// `SecurityGroupIngress` rules and every `AWS::EC2::SecurityGroupIngress` attached to them.
pub(crate) fn groups_reach(ctx: &Ctx<'_>, groups: &[&Resource], port: i64, sources: &[&str]) -> Reach {
    let mut reach = Reach::No;
    let mut merge = |r: Reach| {
        reach = match (&reach, r) {
            (Reach::Yes, _) | (_, Reach::Yes) => Reach::Yes,
            (Reach::Maybe, _) | (_, Reach::Maybe) => Reach::Maybe,
            _ => Reach::No,
        }
    };
    for sg in groups {
        match sg.prop("SecurityGroupIngress") {
            None => {}
            Some(node) => match ctx.resolver.select(node).and_then(Node::as_seq) {
                Some(rules) => rules.iter().for_each(|r| merge(rule_reach(ctx, r, port, sources))),
                None => merge(Reach::Maybe),
            },
        }
    }
    for ingress in ctx.resources(&["AWS::EC2::SecurityGroupIngress"]) {
        let group = ingress.prop("GroupId").or_else(|| ingress.prop("GroupName"));
        // A rule attached to a group outside the template (a parameter, an import, a literal
        // id) cannot be one of these groups, which only exist once the stack is deployed.
        if let Some(g) = group.and_then(|g| first_target(ctx, g))
            && groups.iter().any(|sg| sg.id == g.id)
        {
            merge(rule_reach(ctx, &ingress.properties, port, sources));
        }
    }
    reach
}

// ---------------------------------------------------------------------------------------------
// Load balancers

/// Whether a load balancer is an Application Load Balancer (`Type` defaults to `application`).
pub(crate) fn is_application_lb(ctx: &Ctx<'_>, lb: &Resource) -> Option<bool> {
    ctx.str(lb, &["Type"]).or_default("application".to_string()).map(|t| t == "application")
}

/// The load balancers whose listeners (or listener rules) send traffic to a target group.
pub(crate) fn load_balancers_of<'a>(ctx: &Ctx<'a>, target_group: &'a str) -> Vec<&'a Resource> {
    use crate::architecture::EdgeKind;
    let mut out: Vec<&Resource> = Vec::new();
    for e in ctx.edges_to(target_group, &[EdgeKind::Routes]) {
        if ctx.type_of(&e.from) != "AWS::ElasticLoadBalancingV2::Listener" {
            continue;
        }
        for c in ctx.edges_to(&e.from, &[EdgeKind::Contains]) {
            if let Some(lb) = ctx.template.resource(&c.from)
                && lb.type_name == "AWS::ElasticLoadBalancingV2::LoadBalancer"
                && !out.iter().any(|x| x.id == lb.id)
            {
                out.push(lb);
            }
        }
    }
    out
}

/// Whether an ECS service registers with a load balancer target group.
pub(crate) fn service_behind_load_balancer(ctx: &Ctx<'_>, service: &Resource) -> bool {
    ctx.node(service, &["LoadBalancers"]).and_then(Node::as_seq).is_some_and(|lbs| {
        lbs.iter().any(|lb| lb.get("TargetGroupArn").is_some() || lb.get("LoadBalancerName").is_some())
    })
}

// ---------------------------------------------------------------------------------------------
// Application Auto Scaling of ECS services

/// How the scalable targets of the template relate to ECS services.
pub(crate) struct EcsScaling<'a> {
    /// `(service id, scalable target)` for targets whose ResourceId names a service.
    pub targets: Vec<(String, &'a Resource)>,
    /// A scalable target for ECS (or of unknown namespace) whose ResourceId could not be tied
    /// to a service: it may scale any of them, so rules stay silent.
    pub unattributed: bool,
}

impl EcsScaling<'_> {
    pub(crate) fn target_of(&self, service: &str) -> Option<&Resource> {
        self.targets.iter().find(|(s, _)| s == service).map(|(_, t)| *t)
    }
}

pub(crate) fn ecs_scaling<'a>(ctx: &Ctx<'a>) -> EcsScaling<'a> {
    let services: Vec<&Resource> = ctx.resources(&["AWS::ECS::Service"]).collect();
    let mut scaling = EcsScaling { targets: Vec::new(), unattributed: false };
    for t in ctx.resources(&["AWS::ApplicationAutoScaling::ScalableTarget"]) {
        match ctx.str(t, &["ServiceNamespace"]).known() {
            Some(ns) if ns != "ecs" => continue,
            _ => {}
        }
        let Some(resource_id) = ctx.node(t, &["ResourceId"]) else { continue };
        let named: Vec<&Resource> = all_targets(ctx, resource_id).into_iter().filter(|r| r.type_name == "AWS::ECS::Service").collect();
        if let Some(s) = named.first() {
            scaling.targets.push((s.id.clone(), t));
            continue;
        }
        // A literal `service/<cluster>/<name>`: match the service by its ServiceName.
        let text = raw_text(ctx, resource_id).unwrap_or_default();
        let last = text.rsplit('/').next().unwrap_or("");
        let by_name = services.iter().find(|s| !last.is_empty() && !last.contains("${") && ctx.str(s, &["ServiceName"]).known().is_some_and(|n| n == last));
        match by_name {
            Some(s) => scaling.targets.push((s.id.clone(), t)),
            None => scaling.unattributed = true,
        }
    }
    scaling
}

/// The launch type of an ECS service when the template determines it: `FARGATE` (also for a
/// capacity provider strategy of only FARGATE/FARGATE_SPOT), `EC2`, `EXTERNAL`.
pub(crate) fn ecs_launch_type(ctx: &Ctx<'_>, service: &Resource) -> Option<String> {
    if let Some(lt) = ctx.str(service, &["LaunchType"]).known() {
        return Some(lt.clone());
    }
    if let Some(strategy) = ctx.node(service, &["CapacityProviderStrategy"]).and_then(Node::as_seq) {
        let providers: Option<Vec<String>> = strategy
            .iter()
            .map(|s| s.get("CapacityProvider").and_then(|n| ctx.resolver.value(n).text()))
            .collect();
        return match providers {
            Some(p) if !p.is_empty() && p.iter().all(|x| x.starts_with("FARGATE")) => Some("FARGATE".into()),
            Some(p) if !p.is_empty() => Some("EC2".into()),
            _ => None,
        };
    }
    // No launch type and no strategy: a task definition that runs only on Fargate can only
    // be placed through the cluster's default Fargate capacity provider strategy.
    let td = ctx.node(service, &["TaskDefinition"]).and_then(|n| first_target(ctx, n))?;
    match ctx.list(td, &["RequiresCompatibilities"]).known() {
        Some(c) if c.iter().any(|x| x.as_str() == Some("FARGATE")) && !c.iter().any(|x| x.as_str() == Some("EC2")) => Some("FARGATE".into()),
        _ => None,
    }
}

/// The SQS queues an ECS service consumes, with the reason: its task role may
/// `sqs:ReceiveMessage` on them; or, when the task role is not a role of the template (so its
/// permissions are unknown), a container's environment variable names the queue.
/// `receivers` is [`permission_holders`]`(ctx, "sqs:receivemessage")`, computed once per rule.
pub(crate) fn service_queues(ctx: &Ctx<'_>, service: &Resource, receivers: &[(String, String)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let Some(td) = ctx.node(service, &["TaskDefinition"]).and_then(|n| first_target(ctx, n)) else { return out };
    if td.type_name != "AWS::ECS::TaskDefinition" {
        return out;
    }
    let role = ctx.node(td, &["TaskRoleArn"]).and_then(|n| first_target(ctx, n)).filter(|r| r.type_name == "AWS::IAM::Role");
    if let Some(role) = role {
        for (holder, target) in receivers {
            if *holder == role.id && ctx.type_of(target) == QUEUE && !out.iter().any(|(q, _)| q == target) {
                out.push((target.clone(), format!("task role {} may sqs:ReceiveMessage", role.id)));
            }
        }
        return out;
    }
    for container in ctx.node(td, &["ContainerDefinitions"]).and_then(Node::as_seq).unwrap_or(&[]) {
        let name = container.get("Name").and_then(Node::as_str).unwrap_or("a container");
        for var in container.get("Environment").and_then(Node::as_seq).unwrap_or(&[]) {
            let Some(value) = var.get("Value") else { continue };
            for q in all_targets(ctx, value) {
                if q.type_name == QUEUE && !out.iter().any(|(x, _)| *x == q.id) {
                    let key = var.get("Name").and_then(Node::as_str).unwrap_or("?");
                    out.push((q.id.clone(), format!("container {name} gets it in {key}")));
                }
            }
        }
    }
    out
}
