//! Rules about compute: EC2 instances and launch templates, Auto Scaling groups, ECS services
//! and load balancers.

pub(crate) mod common;

mod alb_without_access_logs;
mod asg_without_scaling_policy;
mod ecs_service_without_autoscaling;
mod fargate_service_single_task;
mod health_check_accepts_client_errors;
mod health_check_blocked_by_security_group;
mod userdata_builds_at_boot;

use super::Rule;

pub const RULES: &[&dyn Rule] = &[
    &userdata_builds_at_boot::UserdataBuildsAtBoot,
    &asg_without_scaling_policy::AsgWithoutScalingPolicy,
    &alb_without_access_logs::AlbWithoutAccessLogs,
    &health_check_accepts_client_errors::HealthCheckAcceptsClientErrors,
    &health_check_blocked_by_security_group::HealthCheckBlockedBySecurityGroup,
    &ecs_service_without_autoscaling::EcsServiceWithoutAutoscaling,
    &fargate_service_single_task::FargateServiceSingleTask,
];
