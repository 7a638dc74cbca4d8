use crate::architecture::EdgeKind;
use crate::declare_rule;
use crate::rules::messaging::common::first_target;
use crate::rules::{Ctx, Diagnostic, Fix, Prop};
use crate::template::Resource;
use crate::yaml::Node;

use super::common::{Reach, groups_reach, is_application_lb, load_balancers_of, template_groups};

declare_rule! {
    /// ## What it does
    /// Flags Application Load Balancer target groups whose targets (an ECS service in `awsvpc`
    /// mode, an Auto Scaling group's launch template or configuration, or registered instances)
    /// have security groups that let nothing in from the load balancer's security groups on the
    /// health-check port (`HealthCheckPort`, by default the traffic port). It only reports when
    /// every security group and port involved is defined in the template; a CIDR or prefix-list
    /// rule on the port, or any group it cannot see, keeps it silent.
    ///
    /// ## Why is this bad?
    /// The load balancer's health checks come from its own network interfaces, so the targets'
    /// security groups must allow them. If they do not, every check times out
    /// (`Target.Timeout`), no target ever becomes healthy, and the load balancer answers 503 (or,
    /// with all targets unhealthy, fails open into targets it cannot reach). An Auto Scaling group
    /// or ECS service using load balancer health checks keeps replacing perfectly good instances
    /// and tasks, and deployments never stabilise.
    ///
    /// ## Example
    /// ```yaml
    /// Resources:
    ///   AlbSg:
    ///     Type: AWS::EC2::SecurityGroup
    ///     Properties:
    ///       GroupDescription: alb
    ///       SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}]
    ///   AdminSg:
    ///     Type: AWS::EC2::SecurityGroup
    ///     Properties: {GroupDescription: admins}
    ///   AppSg:
    ///     Type: AWS::EC2::SecurityGroup
    ///     Properties:
    ///       GroupDescription: app
    ///       SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 8080, ToPort: 8080, SourceSecurityGroupId: !Ref AdminSg}]
    ///   Alb:
    ///     Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    ///     Properties: {Subnets: [subnet-1, subnet-2], SecurityGroups: [!Ref AlbSg]}
    ///   Listener:
    ///     Type: AWS::ElasticLoadBalancingV2::Listener
    ///     Properties:
    ///       LoadBalancerArn: !Ref Alb
    ///       Port: 443
    ///       Protocol: HTTPS
    ///       DefaultActions: [{Type: forward, TargetGroupArn: !Ref AppTg}]
    ///   AppTg:
    ///     Type: AWS::ElasticLoadBalancingV2::TargetGroup
    ///     Properties: {Port: 8080, Protocol: HTTP, TargetType: ip, VpcId: vpc-1, HealthCheckPath: /healthz}
    ///   App:
    ///     Type: AWS::ECS::Service
    ///     Properties:
    ///       LaunchType: FARGATE
    ///       TaskDefinition: app:1
    ///       LoadBalancers: [{ContainerName: app, ContainerPort: 8080, TargetGroupArn: !Ref AppTg}]
    ///       NetworkConfiguration:
    ///         AwsvpcConfiguration: {Subnets: [subnet-1, subnet-2], SecurityGroups: [!Ref AppSg]}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Resources:
    ///   AlbSg:
    ///     Type: AWS::EC2::SecurityGroup
    ///     Properties:
    ///       GroupDescription: alb
    ///       SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}]
    ///   AppSg:
    ///     Type: AWS::EC2::SecurityGroup
    ///     Properties:
    ///       GroupDescription: app
    ///       SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 8080, ToPort: 8080, SourceSecurityGroupId: !Ref AlbSg}]
    ///   Alb:
    ///     Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    ///     Properties: {Subnets: [subnet-1, subnet-2], SecurityGroups: [!Ref AlbSg]}
    ///   Listener:
    ///     Type: AWS::ElasticLoadBalancingV2::Listener
    ///     Properties:
    ///       LoadBalancerArn: !Ref Alb
    ///       Port: 443
    ///       Protocol: HTTPS
    ///       DefaultActions: [{Type: forward, TargetGroupArn: !Ref AppTg}]
    ///   AppTg:
    ///     Type: AWS::ElasticLoadBalancingV2::TargetGroup
    ///     Properties: {Port: 8080, Protocol: HTTP, TargetType: ip, VpcId: vpc-1, HealthCheckPath: /healthz}
    ///   App:
    ///     Type: AWS::ECS::Service
    ///     Properties:
    ///       LaunchType: FARGATE
    ///       TaskDefinition: app:1
    ///       LoadBalancers: [{ContainerName: app, ContainerPort: 8080, TargetGroupArn: !Ref AppTg}]
    ///       NetworkConfiguration:
    ///         AwsvpcConfiguration: {Subnets: [subnet-1, subnet-2], SecurityGroups: [!Ref AppSg]}
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
    /// - https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-update-security-groups.html
    /// - https://repost.aws/knowledge-center/elb-fix-failing-health-checks-alb
    pub HealthCheckBlockedBySecurityGroup {
        code: "ELB-003",
        name: "health-check-blocked-by-security-group",
        severity: High,
        pillar: Reliability,
        symptoms: ["unhealthy-targets"],
        remedies: ["alb-health-check-config"],
    }
}

/// A target of a target group: its security groups and the port traffic reaches it on.
struct Target<'a> {
    id: String,
    groups: Vec<&'a Resource>,
    traffic_port: i64,
}

fn num(ctx: &Ctx<'_>, node: Option<&Node>) -> Option<i64> {
    node.and_then(|n| ctx.resolver.value(n).as_f64()).map(|v| v as i64)
}

/// The security groups a launch template's data gives its instances.
fn launch_template_groups<'a>(ctx: &Ctx<'a>, lt: &'a Resource) -> Option<Vec<&'a Resource>> {
    let data = ctx.node(lt, &["LaunchTemplateData"])?;
    if let Some(ids) = data.get("SecurityGroupIds").or_else(|| data.get("SecurityGroups")) {
        return template_groups(ctx, Some(ids));
    }
    let interfaces = ctx.resolver.select(data.get("NetworkInterfaces")?)?.as_seq()?;
    template_groups(ctx, interfaces.first()?.get("Groups"))
}

fn asg_groups<'a>(ctx: &Ctx<'a>, asg: &'a Resource) -> Option<Vec<&'a Resource>> {
    let spec = ctx
        .node(asg, &["LaunchTemplate"])
        .or_else(|| ctx.node(asg, &["MixedInstancesPolicy", "LaunchTemplate", "LaunchTemplateSpecification"]));
    if let Some(spec) = spec {
        let lt = spec.get("LaunchTemplateId").or_else(|| spec.get("LaunchTemplateName")).and_then(|n| first_target(ctx, n))?;
        if lt.type_name != "AWS::EC2::LaunchTemplate" {
            return None;
        }
        return launch_template_groups(ctx, lt);
    }
    let lc = ctx.node(asg, &["LaunchConfigurationName"]).and_then(|n| first_target(ctx, n))?;
    template_groups(ctx, ctx.node(lc, &["SecurityGroups"]))
}

fn instance_groups<'a>(ctx: &Ctx<'a>, i: &'a Resource) -> Option<Vec<&'a Resource>> {
    if let Some(ids) = ctx.node(i, &["SecurityGroupIds"]).or_else(|| ctx.node(i, &["SecurityGroups"])) {
        return template_groups(ctx, Some(ids));
    }
    let interfaces = ctx.node(i, &["NetworkInterfaces"])?.as_seq()?;
    template_groups(ctx, interfaces.first()?.get("GroupSet"))
}

/// The targets of a target group, or `None` when any of them cannot be fully known.
fn targets<'a>(ctx: &Ctx<'a>, tg: &'a Resource) -> Option<Vec<Target<'a>>> {
    let tg_port = num(ctx, ctx.node(tg, &["Port"]));
    let mut out = Vec::new();
    for e in ctx.edges_from(&tg.id, &[EdgeKind::Routes]) {
        let Some(t) = ctx.template.resource(&e.to) else { continue };
        match t.type_name.as_str() {
            "AWS::ECS::Service" => {
                let entry = ctx.node(t, &["LoadBalancers"])?.as_seq()?.iter().find(|lb| lb.get("TargetGroupArn").and_then(|n| first_target(ctx, n)).is_some_and(|x| x.id == tg.id))?;
                let port = num(ctx, entry.get("ContainerPort"))?;
                let groups = template_groups(ctx, ctx.node(t, &["NetworkConfiguration", "AwsvpcConfiguration", "SecurityGroups"]))?;
                out.push(Target { id: t.id.clone(), groups, traffic_port: port });
            }
            "AWS::AutoScaling::AutoScalingGroup" => {
                out.push(Target { id: t.id.clone(), groups: asg_groups(ctx, t)?, traffic_port: tg_port? });
            }
            "AWS::EC2::Instance" => {
                let entry = ctx.node(tg, &["Targets"]).and_then(Node::as_seq).and_then(|ts| ts.iter().find(|x| x.get("Id").and_then(|n| first_target(ctx, n)).is_some_and(|r| r.id == t.id)));
                let port = match entry.and_then(|x| x.get("Port")) {
                    Some(p) => num(ctx, Some(p))?,
                    None => tg_port?,
                };
                out.push(Target { id: t.id.clone(), groups: instance_groups(ctx, t)?, traffic_port: port });
            }
            _ => return None,
        }
    }
    Some(out)
}

impl HealthCheckBlockedBySecurityGroup {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for tg in ctx.resources(&["AWS::ElasticLoadBalancingV2::TargetGroup"]) {
            if ctx.bool(tg, &["HealthCheckEnabled"]).known() == Some(&false) || ctx.str(tg, &["TargetType"]).known().is_some_and(|t| t == "lambda") {
                continue;
            }
            let lbs = load_balancers_of(ctx, &tg.id);
            if lbs.is_empty() || lbs.iter().any(|lb| is_application_lb(ctx, lb) != Some(true)) {
                continue;
            }
            let mut sources: Vec<&Resource> = Vec::new();
            let mut known = true;
            for lb in &lbs {
                match template_groups(ctx, ctx.node(lb, &["SecurityGroups"])) {
                    Some(groups) if !groups.is_empty() => sources.extend(groups),
                    _ => known = false,
                }
            }
            if !known {
                continue;
            }
            let source_ids: Vec<&str> = sources.iter().map(|s| s.id.as_str()).collect();
            let hc_port = match ctx.value(tg, &["HealthCheckPort"]) {
                Prop::Absent => None,
                Prop::Known(v, _) if v.text().as_deref() == Some("traffic-port") => None,
                Prop::Known(v, _) => match v.as_f64() {
                    Some(p) => Some(p as i64),
                    None => continue,
                },
                Prop::Unknown(_) => continue,
            };
            let Some(targets) = targets(ctx, tg) else { continue };
            for t in targets {
                if t.groups.is_empty() {
                    continue;
                }
                let port = hc_port.unwrap_or(t.traffic_port);
                if groups_reach(ctx, &t.groups, port, &source_ids) != Reach::No {
                    continue;
                }
                let sg = t.groups[0];
                let group_names: Vec<&str> = t.groups.iter().map(|g| g.id.as_str()).collect();
                let lb_names: Vec<&str> = lbs.iter().map(|l| l.id.as_str()).collect();
                let mut d = ctx.diag(sg, &["SecurityGroupIngress"], format!(
                    "{}'s security group{} {} allow{} nothing from {}'s security group {} on port {port}, the health-check port of {}: every health check times out, so {} never becomes healthy and the load balancer cannot route to it",
                    t.id,
                    if t.groups.len() == 1 { "" } else { "s" },
                    group_names.join(", "),
                    if t.groups.len() == 1 { "s" } else { "" },
                    lb_names.join(", "),
                    source_ids.join(", "),
                    tg.id,
                    t.id
                ));
                d.evidence.push(format!("{} health check on port {port}{}", tg.id, if hc_port.is_none() { " (traffic-port)" } else { "" }));
                d.evidence.push(format!("load balancer security groups: {}", source_ids.join(", ")));
                d.evidence.push(format!("{} security groups: {}; no ingress rule allows tcp {port} from them", t.id, group_names.join(", ")));
                d.fix = Some(Fix::new(
                    "Allow the load balancer's security group on the health-check port",
                    format!(
                        "{}FromLoadBalancer:\n  Type: AWS::EC2::SecurityGroupIngress\n  Properties:\n    GroupId: !GetAtt {}.GroupId\n    IpProtocol: tcp\n    FromPort: {port}\n    ToPort: {port}\n    SourceSecurityGroupId: !GetAtt {}.GroupId",
                        sg.id, sg.id, source_ids[0]
                    ),
                ));
                out.push(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    const BASE: &str = "
Parameters:
  ExternalSg: {Type: AWS::EC2::SecurityGroup::Id}
Resources:
  AlbSg:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: alb}
  OtherSg:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: other}
  AppSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: app
      SecurityGroupIngress: INGRESS
EXTRA
  Alb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: {Subnets: [a, b], SecurityGroups: ALBSGS}
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties: {LoadBalancerArn: !Ref Alb, Port: 80, Protocol: HTTP, DefaultActions: [{Type: forward, TargetGroupArn: !Ref Tg}]}
  Tg:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties: {Port: 80, Protocol: HTTP, VpcId: v, HCPORT}
  Lt:
    Type: AWS::EC2::LaunchTemplate
    Properties: {LaunchTemplateData: {ImageId: ami-1, SecurityGroupIds: [!GetAtt AppSg.GroupId]}}
  Asg:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      MinSize: '2'
      MaxSize: '2'
      TargetGroupARNs: [!Ref Tg]
      LaunchTemplate: {LaunchTemplateId: !Ref Lt, Version: '1'}
";

    fn found(ingress: &str, extra: &str, alb_sgs: &str, hc_port: &str) -> Vec<String> {
        let text = BASE.replace("INGRESS", ingress).replace("EXTRA", extra).replace("ALBSGS", alb_sgs).replace("HCPORT", hc_port);
        crate::analysis::analyze(&text, &Default::default()).unwrap().findings.into_iter().filter(|f| f.rule == "ELB-003").map(|f| f.message).collect()
    }

    const FROM_ALB_80: &str = "[{IpProtocol: tcp, FromPort: 80, ToPort: 80, SourceSecurityGroupId: !Ref AlbSg}]";
    const FROM_OTHER_80: &str = "[{IpProtocol: tcp, FromPort: 80, ToPort: 80, SourceSecurityGroupId: !Ref OtherSg}]";

    #[test]
    fn allowed_when_an_ingress_rule_admits_the_alb_group() {
        assert!(found(FROM_ALB_80, "", "[!Ref AlbSg]", "HealthCheckPath: /").is_empty());
        let all_traffic = "[{IpProtocol: '-1', SourceSecurityGroupId: !GetAtt AlbSg.GroupId}]";
        assert!(found(all_traffic, "", "[!Ref AlbSg]", "HealthCheckPath: /").is_empty());
        let separate = "  FromAlb:\n    Type: AWS::EC2::SecurityGroupIngress\n    Properties: {GroupId: !Ref AppSg, IpProtocol: tcp, FromPort: 0, ToPort: 65535, SourceSecurityGroupId: !Ref AlbSg}";
        assert!(found("[]", separate, "[!Ref AlbSg]", "HealthCheckPath: /").is_empty());
    }

    #[test]
    fn blocked_when_no_rule_admits_the_alb_group_on_the_health_check_port() {
        let msgs = found(FROM_OTHER_80, "", "[!Ref AlbSg]", "HealthCheckPath: /");
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(msgs[0].contains("Asg's security group AppSg allows nothing from Alb's security group AlbSg on port 80"), "{msgs:?}");
        // The traffic port is open to the ALB but the health check uses another port.
        let msgs = found(FROM_ALB_80, "", "[!Ref AlbSg]", "HealthCheckPort: '8081'");
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(msgs[0].contains("port 8081"));
        // No ingress at all.
        assert_eq!(found("[]", "", "[!Ref AlbSg]", "HealthCheckPath: /").len(), 1);
    }

    #[test]
    fn silent_when_anything_is_unknown() {
        // A CIDR might cover the load balancer's subnets.
        assert!(found("[{IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 10.0.0.0/16}]", "", "[!Ref AlbSg]", "HealthCheckPath: /").is_empty());
        // The load balancer's groups come from outside the template.
        assert!(found(FROM_OTHER_80, "", "[!Ref ExternalSg]", "HealthCheckPath: /").is_empty());
        // The source group is a parameter.
        assert!(found("[{IpProtocol: tcp, FromPort: 80, ToPort: 80, SourceSecurityGroupId: !Ref ExternalSg}]", "", "[!Ref AlbSg]", "HealthCheckPath: /").is_empty());
        // Ports from a parameter without default.
        let text = "[{IpProtocol: tcp, FromPort: !Ref ExternalSg, ToPort: 80, SourceSecurityGroupId: !Ref OtherSg}]";
        assert!(found(text, "", "[!Ref AlbSg]", "HealthCheckPath: /").is_empty());
    }
}
