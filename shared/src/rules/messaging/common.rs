//! Helpers shared by the messaging rules (and used by the operations rules): Lambda event
//! sources from SAM events and event source mappings, who receives from a queue, and which
//! queues serve as dead-letter queues.

use std::collections::BTreeSet;

use crate::rules::Ctx;
use crate::rules::compute::common::raw_text;
use crate::template::Resource;
use crate::template::resolve::references;
use crate::yaml::Node;

pub(crate) const QUEUE: &str = "AWS::SQS::Queue";

/// What kind of records an event source delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SourceKind {
    Sqs,
    Kinesis,
    DynamoDb,
    Other,
}

/// A Lambda event source: a SAM function event (`Events.X.Properties`) or an
/// `AWS::Lambda::EventSourceMapping`; both use the same property names.
pub(crate) struct EventSource<'a> {
    /// The resource where the settings are written (the SAM function or the mapping).
    pub owner: &'a Resource,
    /// Path from the owner's properties to the settings (`[]` for a mapping).
    pub prefix: Vec<String>,
    /// The function the source invokes, when it is defined in the template.
    pub function: Option<&'a Resource>,
    /// The queue, stream or table, when it is defined in the template.
    pub source: Option<&'a Resource>,
    pub kind: SourceKind,
    /// How to name the source in messages: `Fn.Events.Orders` or the mapping's id.
    pub label: String,
}

impl<'a> EventSource<'a> {
    /// The full property path of a setting of this source.
    pub(crate) fn path<'p>(&'p self, rest: &[&'p str]) -> Vec<&'p str> {
        self.prefix.iter().map(String::as_str).chain(rest.iter().copied()).collect()
    }
}

/// The first resource of the template that a node refers to.
pub(crate) fn first_target<'a>(ctx: &Ctx<'a>, node: &Node) -> Option<&'a Resource> {
    let mut refs = Vec::new();
    references(node, &mut refs);
    refs.into_iter().find_map(|(id, _)| ctx.template.resource(&id))
}

/// Every resource of the template that a node refers to, deduplicated, in order.
pub(crate) fn all_targets<'a>(ctx: &Ctx<'a>, node: &Node) -> Vec<&'a Resource> {
    let mut refs = Vec::new();
    references(node, &mut refs);
    let mut seen = BTreeSet::new();
    refs.into_iter()
        .filter_map(|(id, _)| ctx.template.resource(&id))
        .filter(|r| seen.insert(r.id.clone()))
        .collect()
}

/// Follows aliases and versions (`FunctionName: !Ref LiveAlias`) to the function.
fn function_behind<'a>(ctx: &Ctx<'a>, r: &'a Resource) -> Option<&'a Resource> {
    let mut r = r;
    for _ in 0..3 {
        if r.is_function() {
            return Some(r);
        }
        if !matches!(r.type_name.as_str(), "AWS::Lambda::Alias" | "AWS::Lambda::Version") {
            return None;
        }
        r = first_target(ctx, ctx.node(r, &["FunctionName"])?)?;
    }
    None
}

fn kind_of_resource(r: &Resource) -> SourceKind {
    match r.type_name.as_str() {
        QUEUE => SourceKind::Sqs,
        "AWS::Kinesis::Stream" | "AWS::Kinesis::StreamConsumer" => SourceKind::Kinesis,
        "AWS::DynamoDB::Table" | "AWS::DynamoDB::GlobalTable" | "AWS::Serverless::SimpleTable" => SourceKind::DynamoDb,
        _ => SourceKind::Other,
    }
}

fn kind_of_arn_text(text: &str) -> SourceKind {
    if text.contains(":sqs:") {
        SourceKind::Sqs
    } else if text.contains(":kinesis:") {
        SourceKind::Kinesis
    } else if text.contains(":dynamodb:") && text.contains("/stream/") {
        SourceKind::DynamoDb
    } else {
        SourceKind::Other
    }
}

/// A queue or stream of the template that an ARN written as text names by its explicit name
/// (`arn:aws:kinesis:${AWS::Region}:${AWS::AccountId}:stream/clicks`).
fn source_by_name<'a>(ctx: &Ctx<'a>, kind: SourceKind, arn: &str) -> Option<&'a Resource> {
    let (types, key, name): (&[&str], &str, &str) = match kind {
        SourceKind::Sqs => (&[QUEUE], "QueueName", arn.rsplit(':').next()?),
        SourceKind::Kinesis => (&["AWS::Kinesis::Stream"], "Name", arn.split("stream/").nth(1)?.split('/').next()?),
        _ => return None,
    };
    if name.is_empty() || name.contains("${") {
        return None;
    }
    ctx.resources(types).find(|r| ctx.str(r, &[key]).known().is_some_and(|n| n == name))
}

/// Every Lambda event source of the template (SAM events of type SQS, Kinesis and DynamoDB,
/// and event source mappings).
pub(crate) fn event_sources<'a>(ctx: &Ctx<'a>) -> Vec<EventSource<'a>> {
    let mut out = Vec::new();
    for f in ctx.functions().filter(|f| f.is_sam_function()) {
        let Some(events) = ctx.node(f, &["Events"]).and_then(Node::as_map) else { continue };
        for (key, event) in events {
            let kind = match event.get("Type").and_then(Node::as_str) {
                Some("SQS") => SourceKind::Sqs,
                Some("Kinesis") => SourceKind::Kinesis,
                Some("DynamoDB") => SourceKind::DynamoDb,
                _ => continue,
            };
            let props = event.get("Properties");
            let source = props
                .and_then(|p| p.get("Queue").or_else(|| p.get("Stream")))
                .and_then(|n| first_target(ctx, n));
            out.push(EventSource {
                owner: f,
                prefix: vec!["Events".into(), key.name.clone(), "Properties".into()],
                function: Some(f),
                source,
                kind,
                label: format!("{}.Events.{}", f.id, key.name),
            });
        }
    }
    for m in ctx.resources(&["AWS::Lambda::EventSourceMapping"]) {
        let arn = ctx.node(m, &["EventSourceArn"]);
        let mut source = arn.and_then(|n| first_target(ctx, n));
        let kind = match source {
            Some(s) => kind_of_resource(s),
            None => {
                let text = arn.and_then(|n| raw_text(ctx, n)).unwrap_or_default();
                let kind = kind_of_arn_text(&text);
                source = source_by_name(ctx, kind, &text);
                kind
            }
        };
        let function = ctx.node(m, &["FunctionName"]).and_then(|n| first_target(ctx, n)).and_then(|r| function_behind(ctx, r));
        out.push(EventSource { owner: m, prefix: Vec::new(), function, source, kind, label: m.id.clone() });
    }
    out
}

/// Whether an IAM action pattern (`sqs:Receive*`, `sqs:*`, `*`) grants `action` (lower case).
pub(crate) fn action_grants(pattern: &str, action: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    glob(pattern.as_bytes(), action.as_bytes())
}

/// Wildcard match (`*` any run, `?` one character), greedy with one backtrack point: O(n·m)
/// at worst, whatever the number of stars.
fn glob(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::action_grants;

    #[test]
    fn iam_action_wildcards() {
        for p in ["sqs:ReceiveMessage", "sqs:*", "*", "sqs:Receive*", "SQS:receivemessage", "sqs:*Message", "sqs:R?ceiveMessage"] {
            assert!(action_grants(p, "sqs:receivemessage"), "{p}");
        }
        for p in ["sqs:SendMessage", "sqs:Get*", "sns:*", "sqs:ReceiveMessages", ""] {
            assert!(!action_grants(p, "sqs:receivemessage"), "{p}");
        }
        let many = "*".repeat(200) + "x";
        let started = std::time::Instant::now();
        assert!(!action_grants(&many, "sqs:receivemessage"));
        assert!(started.elapsed() < std::time::Duration::from_millis(50));
    }
}

/// The statements of a policy document (one statement or a list).
fn statements(doc: &Node) -> Vec<&Node> {
    match doc.get("Statement") {
        Some(s) => match s.as_seq() {
            Some(items) => items.iter().collect(),
            None => vec![s],
        },
        None => Vec::new(),
    }
}

/// Resources whose `action` a policy document allows, by id.
fn granted(ctx: &Ctx<'_>, doc: &Node, action: &str) -> Vec<String> {
    let mut out = Vec::new();
    for stmt in statements(doc) {
        if stmt.get("Effect").and_then(Node::as_str) == Some("Deny") {
            continue;
        }
        let actions: Vec<&str> = match stmt.get("Action") {
            Some(a) => match a.as_seq() {
                Some(items) => items.iter().filter_map(Node::as_str).collect(),
                None => a.as_str().into_iter().collect(),
            },
            None => Vec::new(),
        };
        if !actions.iter().any(|p| action_grants(p, action)) {
            continue;
        }
        if let Some(res) = stmt.get("Resource") {
            out.extend(all_targets(ctx, res).into_iter().map(|r| r.id.clone()));
        }
    }
    out
}

/// `(holder, resource)` pairs: the role, function or SAM resource whose permissions allow
/// `action` (e.g. `sqs:receivemessage`) on a resource of the template. SAM's `SQSPollerPolicy`
/// counts as `sqs:receivemessage`, `KinesisStreamReadPolicy`/`KinesisCrudPolicy` as
/// `kinesis:getrecords`, `DynamoDBStreamReadPolicy` as `dynamodb:getrecords`.
pub(crate) fn permission_holders(ctx: &Ctx<'_>, action: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for r in ctx.resources(&["AWS::IAM::Role"]) {
        for p in ctx.node(r, &["Policies"]).and_then(Node::as_seq).unwrap_or(&[]) {
            if let Some(doc) = p.get("PolicyDocument") {
                out.extend(granted(ctx, doc, action).into_iter().map(|t| (r.id.clone(), t)));
            }
        }
    }
    for p in ctx.resources(&["AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"]) {
        let Some(doc) = ctx.node(p, &["PolicyDocument"]) else { continue };
        let targets = granted(ctx, doc, action);
        if targets.is_empty() {
            continue;
        }
        let roles = ctx.node(p, &["Roles"]).map(|n| all_targets(ctx, n)).unwrap_or_default();
        for role in roles {
            out.extend(targets.iter().map(|t| (role.id.clone(), t.clone())));
        }
    }
    let sam_templates: &[&str] = match action {
        "sqs:receivemessage" => &["SQSPollerPolicy"],
        "kinesis:getrecords" => &["KinesisStreamReadPolicy", "KinesisCrudPolicy"],
        "dynamodb:getrecords" => &["DynamoDBStreamReadPolicy"],
        _ => &[],
    };
    for f in ctx.resources(&["AWS::Serverless::Function", "AWS::Serverless::StateMachine"]) {
        let Some(policies) = ctx.node(f, &["Policies"]) else { continue };
        let items: Vec<&Node> = match policies.as_seq() {
            Some(s) => s.iter().collect(),
            None => vec![policies],
        };
        for p in items {
            if let Some((name, args)) = p.single_key()
                && sam_templates.contains(&name)
            {
                out.extend(all_targets(ctx, args).into_iter().map(|t| (f.id.clone(), t.id.clone())));
                continue;
            }
            if p.get("Statement").is_some() {
                out.extend(granted(ctx, p, action).into_iter().map(|t| (f.id.clone(), t)));
            }
        }
    }
    out
}

/// Queues of the template that receive failed messages or events of something else, with
/// what sends them there (`OrdersQueue RedrivePolicy`, `ProcessFn DeadLetterQueue`, ...).
pub(crate) fn dead_letter_queues(ctx: &Ctx<'_>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |ctx: &Ctx<'_>, node: Option<&Node>, via: String| {
        if let Some(node) = node {
            for t in all_targets(ctx, node) {
                if t.type_name == QUEUE && !out.iter().any(|(q, _)| *q == t.id) {
                    out.push((t.id.clone(), via.clone()));
                }
            }
        }
    };
    for q in ctx.resources(&[QUEUE]) {
        add(ctx, ctx.node(q, &["RedrivePolicy"]), format!("{} RedrivePolicy", q.id));
    }
    for f in ctx.functions() {
        add(ctx, ctx.node(f, &["DeadLetterQueue", "TargetArn"]), format!("{} DeadLetterQueue", f.id));
        add(ctx, ctx.node(f, &["DeadLetterConfig", "TargetArn"]), format!("{} DeadLetterConfig", f.id));
        add(ctx, ctx.node(f, &["EventInvokeConfig", "DestinationConfig", "OnFailure", "Destination"]), format!("{} EventInvokeConfig OnFailure", f.id));
        if let Some(events) = ctx.node(f, &["Events"]).and_then(Node::as_map) {
            for (key, event) in events {
                let Some(props) = event.get("Properties") else { continue };
                let via = format!("{}.Events.{}", f.id, key.name);
                add(ctx, props.get("DestinationConfig").and_then(|d| d.get("OnFailure")), format!("{via} OnFailure"));
                add(ctx, props.get("DeadLetterConfig"), format!("{via} DeadLetterConfig"));
                add(ctx, props.get("RedrivePolicy"), format!("{via} RedrivePolicy"));
            }
        }
    }
    for r in ctx.resources(&["AWS::Lambda::EventInvokeConfig", "AWS::Lambda::EventSourceMapping"]) {
        add(ctx, ctx.node(r, &["DestinationConfig", "OnFailure"]), format!("{} OnFailure", r.id));
    }
    for s in ctx.resources(&["AWS::SNS::Subscription"]) {
        add(ctx, ctx.node(s, &["RedrivePolicy"]), format!("{} RedrivePolicy", s.id));
    }
    for rule in ctx.resources(&["AWS::Events::Rule"]) {
        for t in ctx.node(rule, &["Targets"]).and_then(Node::as_seq).unwrap_or(&[]) {
            add(ctx, t.get("DeadLetterConfig"), format!("{} target DeadLetterConfig", rule.id));
        }
    }
    for s in ctx.resources(&["AWS::Scheduler::Schedule"]) {
        add(ctx, ctx.node(s, &["Target", "DeadLetterConfig"]), format!("{} DeadLetterConfig", s.id));
    }
    for p in ctx.resources(&["AWS::Pipes::Pipe"]) {
        if let Some(params) = ctx.node(p, &["SourceParameters"]).and_then(Node::as_map) {
            for (_, v) in params {
                add(ctx, v.get("DeadLetterConfig"), format!("{} DeadLetterConfig", p.id));
            }
        }
    }
    out
}

/// Whether a queue is itself a dead-letter queue: named as one anywhere, or declaring a
/// `RedriveAllowPolicy` (only dead-letter queues have one).
pub(crate) fn is_dead_letter_queue(ctx: &Ctx<'_>, dlqs: &[(String, String)], q: &Resource) -> bool {
    dlqs.iter().any(|(id, _)| *id == q.id) || ctx.node(q, &["RedriveAllowPolicy"]).is_some()
}

/// The SAM policy templates and IAM actions that make a holder a consumer of a queue, and the
/// other ways a queue is consumed in a template: Lambda event sources and EventBridge Pipes.
/// Returns `(queue id, consumer description)`.
pub(crate) fn queue_consumers(ctx: &Ctx<'_>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for s in event_sources(ctx) {
        if let (SourceKind::Sqs, Some(q)) = (s.kind, s.source) {
            let who = s.function.map_or_else(|| s.label.clone(), |f| f.id.clone());
            out.push((q.id.clone(), who));
        }
    }
    for (holder, target) in permission_holders(ctx, "sqs:receivemessage") {
        if ctx.type_of(&target) == QUEUE {
            out.push((target, describe_holder(ctx, &holder)));
        }
    }
    for p in ctx.resources(&["AWS::Pipes::Pipe"]) {
        if let Some(src) = ctx.node(p, &["Source"]).and_then(|n| first_target(ctx, n))
            && src.type_name == QUEUE
        {
            out.push((src.id.clone(), p.id.clone()));
        }
    }
    out
}

/// `345600` -> `4 days`, `90` -> `90 s`, `7200` -> `2 h`.
pub(crate) fn fmt_duration(secs: f64) -> String {
    use crate::rules::ctx::fmt_num;
    if secs >= 2.0 * 86400.0 && (secs % 86400.0) == 0.0 {
        let d = secs / 86400.0;
        format!("{} day{}", fmt_num(d), if d == 1.0 { "" } else { "s" })
    } else if secs >= 3600.0 && (secs % 3600.0) == 0.0 {
        format!("{} h", fmt_num(secs / 3600.0))
    } else {
        format!("{} s", fmt_num(secs))
    }
}

/// `a`, `a and b`, `a, b and 2 more`.
pub(crate) fn fmt_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [a] => a.clone(),
        [a, b] => format!("{a} and {b}"),
        [a, b, rest @ ..] => format!("{a}, {b} and {} more", rest.len()),
    }
}

/// Names a permission holder for messages: a role is named by what assumes it
/// (`WorkerTask (role WorkerRole)`), anything else by its id.
pub(crate) fn describe_holder(ctx: &Ctx<'_>, holder: &str) -> String {
    if ctx.type_of(holder) != "AWS::IAM::Role" {
        return holder.to_string();
    }
    const ACTORS: &[&str] = &[
        "AWS::Lambda::Function",
        "AWS::Serverless::Function",
        "AWS::ECS::TaskDefinition",
        "AWS::IAM::InstanceProfile",
        "AWS::StepFunctions::StateMachine",
        "AWS::Serverless::StateMachine",
        "AWS::CodeBuild::Project",
        "AWS::Batch::JobDefinition",
    ];
    let mut actors: Vec<&str> = Vec::new();
    for e in ctx.arch.edges_to(holder) {
        if ACTORS.contains(&ctx.type_of(&e.from)) && !actors.contains(&e.from.as_str()) {
            actors.push(e.from.as_str());
        }
    }
    match actors.as_slice() {
        [] => format!("whatever assumes role {holder}"),
        _ => format!("{} (role {holder})", actors.join(", ")),
    }
}
