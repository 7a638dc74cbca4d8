//! Built-in sample architectures, one click away: a serverless API written for the demo and
//! two real templates from the corpus.

pub struct Sample {
    pub id: &'static str,
    pub title: &'static str,
    pub blurb: &'static str,
    pub text: &'static str,
}

pub const SAMPLES: &[Sample] = &[
    Sample {
        id: "orders",
        title: "Serverless orders API",
        blurb: "SAM: REST API, Java + Python functions, SQS, DynamoDB, SNS, S3",
        text: include_str!("../samples/orders-api.yaml"),
    },
    Sample {
        id: "bookstore",
        title: "Bookstore full stack",
        blurb: "API Gateway, Lambda, DynamoDB, Neptune, ElastiCache, Elasticsearch",
        text: include_str!("../../tests/corpus/templates/082_bookstore-fullstack.yaml"),
    },
    Sample {
        id: "fargate",
        title: "ECS Fargate in a private VPC",
        blurb: "VPC, NAT, ALB, ECS cluster and roles",
        text: include_str!("../../tests/corpus/templates/005_ecs-fargate-private-vpc.yaml"),
    },
];
