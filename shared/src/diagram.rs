//! Automatic layout of the architecture diagram: a layered (Sugiyama-style) drawing computed in
//! Rust so the browser only renders it.
//!
//! In: an [`Architecture`]. Out: a [`Layout`] with a position for every resource and a path for
//! every edge. Requests flow left to right: ranks come from the longest path over the edges
//! that carry traffic (invokes, triggers, routes, publishes, reads, writes), so an API sits left
//! of its function, the queue between two functions sits between them, and tables sit right of
//! their readers. Resources that carry no traffic (roles, networking, alarms) are placed by
//! their tier. Within a rank, barycentric sweeps reduce crossings; a rank taller than
//! [`MAX_ROWS`] wraps into several columns, so 200 resources stay readable and never overlap.

use std::collections::HashMap;

use serde::Serialize;

use crate::architecture::{Architecture, EdgeKind, Tier};

pub const NODE_W: f64 = 200.0;
pub const NODE_H: f64 = 54.0;
const COL_GAP: f64 = 90.0;
const SUB_COL_GAP: f64 = 24.0;
const ROW_GAP: f64 = 22.0;
const MARGIN: f64 = 24.0;
/// Tallest column before it wraps into another one.
pub const MAX_ROWS: usize = 14;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NodeBox {
    pub id: String,
    pub type_name: String,
    pub service: String,
    pub tier: Tier,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub rank: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EdgePath {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
    /// SVG path data (a cubic curve from the right side of `from` to the left side of `to`).
    pub d: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    pub nodes: Vec<NodeBox>,
    pub edges: Vec<EdgePath>,
}

fn carries_traffic(kind: EdgeKind) -> bool {
    !matches!(kind, EdgeKind::References | EdgeKind::Contains)
}

fn tier_rank(tier: Tier) -> usize {
    match tier {
        Tier::Entry => 0,
        Tier::Compute => 1,
        Tier::Messaging => 2,
        Tier::Data => 3,
        Tier::Network | Tier::Other => 4,
    }
}

pub fn layout(arch: &Architecture) -> Layout {
    let n = arch.resources.len();
    let index: HashMap<&str, usize> = arch.resources.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut pred: Vec<Vec<usize>> = vec![Vec::new(); n];
    for e in &arch.edges {
        let (Some(&a), Some(&b)) = (index.get(e.from.as_str()), index.get(e.to.as_str())) else { continue };
        if a != b && carries_traffic(e.kind) && !succ[a].contains(&b) {
            succ[a].push(b);
            pred[b].push(a);
        }
    }

    // Break cycles: drop edges that close a cycle in DFS order (iterative, no recursion limits).
    let mut state = vec![0u8; n]; // 0 new, 1 on stack, 2 done
    for start in 0..n {
        if state[start] != 0 {
            continue;
        }
        let mut stack = vec![(start, 0usize)];
        state[start] = 1;
        while let Some(&mut (v, ref mut i)) = stack.last_mut() {
            if *i < succ[v].len() {
                let w = succ[v][*i];
                if state[w] == 1 {
                    succ[v].remove(*i);
                    pred[w].retain(|&p| p != v);
                    continue;
                }
                *i += 1;
                if state[w] == 0 {
                    state[w] = 1;
                    stack.push((w, 0));
                }
            } else {
                state[v] = 2;
                stack.pop();
            }
        }
    }

    // Longest-path ranks over the acyclic traffic graph (Kahn's order).
    let connected: Vec<bool> = (0..n).map(|i| !succ[i].is_empty() || !pred[i].is_empty()).collect();
    let mut rank = vec![0usize; n];
    let mut indeg: Vec<usize> = pred.iter().map(Vec::len).collect();
    let mut queue: Vec<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
    for &i in &queue {
        if connected[i] {
            // Sources start at their tier, so a lone queue feeding a function is not left of the API column.
            rank[i] = tier_rank(arch.resources[i].tier).min(2);
        }
    }
    let mut head = 0;
    while head < queue.len() {
        let v = queue[head];
        head += 1;
        for &w in &succ[v] {
            rank[w] = rank[w].max(rank[v] + 1);
            indeg[w] -= 1;
            if indeg[w] == 0 {
                queue.push(w);
            }
        }
    }
    let max_connected_rank = (0..n).filter(|&i| connected[i]).map(|i| rank[i]).max();
    // Resources without traffic go into columns after the flow, grouped by tier.
    let base = max_connected_rank.map_or(0, |r| r + 1);
    let mut unconnected_tiers: Vec<usize> = (0..n).filter(|&i| !connected[i]).map(|i| tier_rank(arch.resources[i].tier)).collect();
    unconnected_tiers.sort_unstable();
    unconnected_tiers.dedup();
    for i in 0..n {
        if !connected[i] {
            let t = tier_rank(arch.resources[i].tier);
            rank[i] = base + unconnected_tiers.iter().position(|&x| x == t).unwrap_or(0);
        }
    }

    // Order within ranks: start in input order, then barycentric sweeps.
    let ranks = rank.iter().copied().max().map_or(0, |m| m + 1);
    let mut columns: Vec<Vec<usize>> = vec![Vec::new(); ranks];
    for i in 0..n {
        columns[rank[i]].push(i);
    }
    let mut order = vec![0f64; n];
    let set_order = |columns: &Vec<Vec<usize>>, order: &mut Vec<f64>| {
        for col in columns {
            for (pos, &v) in col.iter().enumerate() {
                order[v] = pos as f64;
            }
        }
    };
    set_order(&columns, &mut order);
    for sweep in 0..6 {
        let forward = sweep % 2 == 0;
        let range: Vec<usize> = if forward { (1..ranks).collect() } else { (0..ranks.saturating_sub(1)).rev().collect() };
        for r in range {
            let neighbours = |v: usize| -> Vec<usize> { if forward { pred[v].clone() } else { succ[v].clone() } };
            let mut keyed: Vec<(f64, usize)> = columns[r]
                .iter()
                .map(|&v| {
                    let ns = neighbours(v);
                    let key = if ns.is_empty() { order[v] } else { ns.iter().map(|&u| order[u]).sum::<f64>() / ns.len() as f64 };
                    (key, v)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
            columns[r] = keyed.into_iter().map(|(_, v)| v).collect();
            set_order(&columns, &mut order);
        }
    }

    // Coordinates: each rank is one or more sub-columns of at most MAX_ROWS nodes.
    let mut nodes = vec![None; n];
    let mut x = MARGIN;
    let mut height: f64 = 0.0;
    for col in &columns {
        if col.is_empty() {
            continue;
        }
        let sub_cols = col.len().div_ceil(MAX_ROWS);
        let rows = col.len().div_ceil(sub_cols);
        for (pos, &v) in col.iter().enumerate() {
            let (sc, row) = (pos / rows, pos % rows);
            let r = &arch.resources[v];
            let bx = NodeBox {
                id: r.id.clone(),
                type_name: r.type_name.clone(),
                service: r.service.clone(),
                tier: r.tier,
                x: x + sc as f64 * (NODE_W + SUB_COL_GAP),
                y: MARGIN + row as f64 * (NODE_H + ROW_GAP),
                w: NODE_W,
                h: NODE_H,
                rank: rank[v],
            };
            height = height.max(bx.y + NODE_H + MARGIN);
            nodes[v] = Some(bx);
        }
        x += sub_cols as f64 * (NODE_W + SUB_COL_GAP) - SUB_COL_GAP + COL_GAP;
    }
    let nodes: Vec<NodeBox> = nodes.into_iter().flatten().collect();
    let by_id: HashMap<&str, &NodeBox> = nodes.iter().map(|b| (b.id.as_str(), b)).collect();
    let edges = arch
        .edges
        .iter()
        .filter_map(|e| {
            let (a, b) = (by_id.get(e.from.as_str())?, by_id.get(e.to.as_str())?);
            Some(EdgePath { from: e.from.clone(), to: e.to.clone(), kind: e.kind, d: curve(a, b) })
        })
        .collect();
    Layout { width: (x - COL_GAP + MARGIN).max(NODE_W + 2.0 * MARGIN), height: height.max(NODE_H + 2.0 * MARGIN), nodes, edges }
}

fn curve(a: &NodeBox, b: &NodeBox) -> String {
    let (ay, by) = (a.y + a.h / 2.0, b.y + b.h / 2.0);
    if b.x > a.x + a.w + NODE_W {
        // A long edge skips columns: it runs along the empty channel between two rows (rows
        // are aligned across columns), so it never crosses the nodes it passes.
        let channel = if by >= ay { a.y + a.h + ROW_GAP / 2.0 } else { a.y - ROW_GAP / 2.0 };
        let (x1, x2) = (a.x + a.w, b.x);
        return format!(
            "M{x1:.1},{ay:.1} C{:.1},{ay:.1} {:.1},{channel:.1} {:.1},{channel:.1} L{:.1},{channel:.1} C{:.1},{channel:.1} {:.1},{by:.1} {x2:.1},{by:.1}",
            x1 + 24.0,
            x1 + 12.0,
            x1 + 36.0,
            x2 - 36.0,
            x2 - 12.0,
            x2 - 24.0
        );
    }
    if b.x > a.x + a.w {
        let (x1, x2) = (a.x + a.w, b.x);
        let dx = (x2 - x1) / 2.0;
        format!("M{x1:.1},{ay:.1} C{:.1},{ay:.1} {:.1},{by:.1} {x2:.1},{by:.1}", x1 + dx, x2 - dx)
    } else if (b.x - a.x).abs() < 1.0 {
        // Same column: a loop out to the right.
        let x1 = a.x + a.w;
        format!("M{x1:.1},{ay:.1} C{:.1},{ay:.1} {:.1},{by:.1} {x1:.1},{by:.1}", x1 + 40.0, x1 + 40.0)
    } else {
        // Backwards: leave left, arrive right.
        let (x1, x2) = (a.x, b.x + b.w);
        format!("M{x1:.1},{ay:.1} C{:.1},{ay:.1} {:.1},{by:.1} {x2:.1},{by:.1}", x1 - 60.0, x2 + 60.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::Template;

    fn arch(text: &str) -> Architecture {
        crate::architecture::build(&Template::parse(text).unwrap())
    }

    fn overlaps(a: &NodeBox, b: &NodeBox) -> bool {
        a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
    }

    #[test]
    fn requests_flow_left_to_right() {
        let a = arch("
Transform: AWS::Serverless-2016-10-31
Resources:
  Queue: {Type: AWS::SQS::Queue}
  Table: {Type: AWS::DynamoDB::Table}
  Role: {Type: AWS::IAM::Role}
  Front:
    Type: AWS::Serverless::Function
    Properties:
      Policies: [{SQSSendMessagePolicy: {QueueName: !GetAtt Queue.QueueName}}]
      Events: {Get: {Type: Api, Properties: {Path: /, Method: get}}}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Policies: [{DynamoDBCrudPolicy: {TableName: !Ref Table}}]
      Events: {Q: {Type: SQS, Properties: {Queue: !GetAtt Queue.Arn}}}
");
        let l = layout(&a);
        let x = |id: &str| l.nodes.iter().find(|n| n.id == id).unwrap().x;
        assert!(x("ServerlessRestApi") < x("Front"));
        assert!(x("Front") < x("Queue"));
        assert!(x("Queue") < x("Worker"));
        assert!(x("Worker") < x("Table"));
        assert!(x("Role") > x("Table"), "resources without traffic come after the flow");
    }

    #[test]
    fn two_hundred_resources_never_overlap_and_stay_compact() {
        let mut text = String::from("Resources:\n");
        for i in 0..100 {
            text.push_str(&format!("  Q{i}: {{Type: AWS::SQS::Queue}}\n  F{i}:\n    Type: AWS::Lambda::EventSourceMapping\n    Properties: {{EventSourceArn: !GetAtt Q{i}.Arn, FunctionName: !Ref Fn}}\n"));
        }
        text.push_str("  Fn: {Type: AWS::Lambda::Function}\n");
        let l = layout(&arch(&text));
        assert_eq!(l.nodes.len(), 201);
        for (i, a) in l.nodes.iter().enumerate() {
            for b in &l.nodes[i + 1..] {
                assert!(!overlaps(a, b), "{} overlaps {}", a.id, b.id);
            }
        }
        assert!(l.height < 2000.0, "columns wrap instead of growing to {} px", l.height);
    }

    #[test]
    fn cycles_do_not_hang() {
        let a = arch("
Resources:
  A: {Type: AWS::SNS::Topic}
  B: {Type: AWS::SQS::Queue}
  S1: {Type: AWS::SNS::Subscription, Properties: {TopicArn: !Ref A, Endpoint: !GetAtt B.Arn}}
  R: {Type: AWS::Events::Rule, Properties: {Targets: [{Arn: !Ref A, Id: x}], EventBusName: !Ref Bus}}
  Bus: {Type: AWS::Events::EventBus}
");
        let l = layout(&a);
        assert_eq!(l.nodes.len(), a.resources.len());
    }
}
