use crate::declare_rule;
use crate::rules::apigateway::common::{LB_TYPES, integrations, refs};
use crate::rules::{Ctx, Diagnostic, Fix, Prop};

declare_rule! {
    /// ## What it does
    /// Flags HTTP integrations (`HTTP_PROXY` or `HTTP`, on REST methods, HTTP API integrations or
    /// OpenAPI definitions) whose URI points at a load balancer of the template that is
    /// internet-facing (`Scheme: internet-facing`, the default), without `ConnectionType: VPC_LINK`.
    ///
    /// ## Why is this bad?
    /// The API then reaches its backend over the public internet, and the backend has to be
    /// public for that: anyone can call the load balancer directly and skip the API's
    /// authorizers, throttling, usage plans and WAF. Each request also leaves AWS's private
    /// network path. An internal ALB (or NLB) reached through a VPC link keeps the service
    /// private and the path shorter, at no extra API Gateway charge.
    ///
    /// ## Example
    /// ```yaml
    /// Resources:
    ///   Alb:
    ///     Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    ///     Properties:
    ///       Subnets: [subnet-1, subnet-2]
    ///   Api:
    ///     Type: AWS::ApiGatewayV2::Api
    ///     Properties: {Name: shop, ProtocolType: HTTP}
    ///   Proxy:
    ///     Type: AWS::ApiGatewayV2::Integration
    ///     Properties:
    ///       ApiId: !Ref Api
    ///       IntegrationType: HTTP_PROXY
    ///       IntegrationMethod: ANY
    ///       IntegrationUri: !Sub http://${Alb.DNSName}/{proxy}
    ///       PayloadFormatVersion: '1.0'
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Resources:
    ///   Alb:
    ///     Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    ///     Properties:
    ///       Scheme: internal
    ///       Subnets: [subnet-1, subnet-2]
    ///   Listener:
    ///     Type: AWS::ElasticLoadBalancingV2::Listener
    ///     Properties:
    ///       LoadBalancerArn: !Ref Alb
    ///       Port: 80
    ///       Protocol: HTTP
    ///       DefaultActions: [{Type: fixed-response, FixedResponseConfig: {StatusCode: '404'}}]
    ///   Link:
    ///     Type: AWS::ApiGatewayV2::VpcLink
    ///     Properties: {Name: shop, SubnetIds: [subnet-1, subnet-2]}
    ///   Api:
    ///     Type: AWS::ApiGatewayV2::Api
    ///     Properties: {Name: shop, ProtocolType: HTTP}
    ///   Proxy:
    ///     Type: AWS::ApiGatewayV2::Integration
    ///     Properties:
    ///       ApiId: !Ref Api
    ///       IntegrationType: HTTP_PROXY
    ///       IntegrationMethod: ANY
    ///       ConnectionType: VPC_LINK
    ///       ConnectionId: !Ref Link
    ///       IntegrationUri: !Ref Listener
    ///       PayloadFormatVersion: '1.0'
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-private.html
    /// - https://docs.aws.amazon.com/apigateway/latest/developerguide/getting-started-with-private-integration.html
    pub ApiProxiesToPublicLoadBalancer {
        code: "APIGW-008",
        name: "api-proxies-to-public-load-balancer",
        severity: Low,
        pillar: Security,
        symptoms: ["high-api-latency"],
        remedies: ["apigw-private-alb-integration"],
    }
}

impl ApiProxiesToPublicLoadBalancer {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for i in integrations(ctx) {
            if !matches!(i.kind.as_deref(), Some("HTTP_PROXY" | "HTTP")) {
                continue;
            }
            if i.connection.as_deref() != Some("INTERNET") {
                continue; // VPC_LINK, or unknown
            }
            let Some(uri) = i.uri else { continue };
            for lb_id in refs(uri) {
                let Some(lb) = ctx.template.resource(&lb_id) else { continue };
                if !LB_TYPES.contains(&lb.type_name.as_str()) {
                    continue;
                }
                let scheme = match ctx.str(lb, &["Scheme"]) {
                    Prop::Absent => "internet-facing (the default)".to_string(),
                    Prop::Known(s, _) if s == "internet-facing" => s,
                    _ => continue,
                };
                let api = i.api.clone().unwrap_or_else(|| "its API".into());
                let mut d = ctx.diag(i.res, &i.path, format!(
                    "{} ({}) proxies {api} to load balancer {lb_id} over the internet: {lb_id} is {scheme} and the integration has no VPC link, so the backend is publicly reachable around the API's auth, throttling and WAF",
                    i.label,
                    i.kind.as_deref().unwrap_or("HTTP"),
                ));
                if i.path.is_empty() {
                    d.pos = i.pos;
                }
                d.evidence.push(format!("{lb_id}: Scheme {scheme}"));
                d.evidence.push(format!("{}: ConnectionType INTERNET (default)", i.label));
                let v2 = i.res.type_name == "AWS::ApiGatewayV2::Integration" || ctx.type_of(&api).contains("HttpApi") || ctx.type_of(&api) == "AWS::ApiGatewayV2::Api";
                d.fix = Some(if v2 {
                    Fix::new(
                        "Make the load balancer internal (Scheme: internal) and reach its listener through a VPC link",
                        "ConnectionType: VPC_LINK\nConnectionId: !Ref VpcLink          # AWS::ApiGatewayV2::VpcLink in the ALB's subnets\nIntegrationUri: !Ref Listener        # listener ARN of the internal ALB",
                    )
                } else {
                    Fix::new(
                        "Make the load balancer internal (Scheme: internal) and reach it through a VPC link",
                        "ConnectionType: VPC_LINK\nConnectionId: !Ref VpcLink          # AWS::ApiGateway::VpcLink (NLB) or a VPC link V2 (ALB)",
                    )
                });
                out.push(d);
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::analyze;

    fn found(text: &str) -> usize {
        analyze(text, &Default::default()).unwrap().findings.iter().filter(|f| f.rule == "APIGW-008").count()
    }

    #[test]
    fn rest_method_to_public_alb_and_openapi_body() {
        let t = "
Resources:
  Alb: {Type: AWS::ElasticLoadBalancingV2::LoadBalancer, Properties: {Scheme: SCHEME}}
  Api: {Type: AWS::ApiGateway::RestApi, Properties: {Name: a}}
  M:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: ANY
      AuthorizationType: NONE
      Integration:
        Type: HTTP_PROXY
        IntegrationHttpMethod: ANY
        Uri: !Join ['', ['http://', !GetAtt Alb.DNSName, '/']]
";
        assert_eq!(found(&t.replace("SCHEME", "internet-facing")), 1);
        assert_eq!(found(&t.replace("SCHEME", "internal")), 0);
        let body = "
Transform: AWS::Serverless-2016-10-31
Resources:
  Alb: {Type: AWS::ElasticLoadBalancingV2::LoadBalancer}
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: 3.0.1
        paths:
          /{proxy+}:
            x-amazon-apigateway-any-method:
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: ANY
                uri: !Sub http://${Alb.DNSName}/{proxy}
                payloadFormatVersion: '1.0'
";
        assert_eq!(found(body), 1);
    }
}
