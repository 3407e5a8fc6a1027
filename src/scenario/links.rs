//! Link faults as scenarios name them: a link end is a node or a service instance (its consumer
//! and producer), a link action applies to every pair of nodes the two ends name, and the
//! report lists the faulty links at the end with those names.

use crate::sim::sorted_map::SortedMap;

use super::report::LinkReport;
use super::validate::{parse_link_end, LinkEnd, NodeNames};
use crate::services::World;
use crate::sim::{Command, LinkFault, NodeId};

/// The network nodes a link end names now: a node, or a service instance's clients.
fn link_nodes(world: &World, name: &str) -> Result<Vec<NodeId>, String> {
    match parse_link_end(name, &NodeNames::of(world))? {
        LinkEnd::Node(node) => Ok(vec![node]),
        LinkEnd::Service(kind, index) => Ok(world
            .instance_clients(kind, index)?
            .into_iter()
            .map(NodeId::Client)
            .collect()),
    }
}

/// Applies the link command `command` between every node `a` names and every node `b` names
/// (a service instance is its consumer and its producer). Both ends are resolved before any
/// command runs, so an unknown end or an end linked to itself changes nothing.
pub(super) fn on_links(
    world: &mut World,
    a: &str,
    b: &str,
    command: &dyn Fn(NodeId, NodeId) -> Command,
) -> Result<(), String> {
    let (ends_a, ends_b) = (link_nodes(world, a)?, link_nodes(world, b)?);
    if ends_a.iter().any(|n| ends_b.contains(n)) {
        return Err(format!(
            "{a:?} and {b:?} are the same node: a link joins two nodes"
        ));
    }
    for x in &ends_a {
        for y in &ends_b {
            world.handle(command(*x, *y))?;
        }
    }
    Ok(())
}

/// The faulty links at the end of a run, named as scenarios name their ends; a link faulty the
/// same way in both directions is one entry.
pub(super) fn link_reports(world: &World) -> Vec<LinkReport> {
    let faults: SortedMap<(NodeId, NodeId), LinkFault> = world
        .sim
        .link_faults()
        .map(|(a, b, f)| ((a, b), f))
        .collect();
    let name = |n: NodeId| match n {
        NodeId::Client(c) => world.client_name(c).unwrap_or_else(|| n.to_string()),
        _ => n.to_string(),
    };
    let mut reports: Vec<LinkReport> = Vec::new();
    for (&(from, to), fault) in &faults {
        let both_ways = faults.get(&(to, from)) == Some(fault);
        if both_ways && to < from {
            continue;
        }
        let report = LinkReport {
            a: name(from),
            b: name(to),
            one_way: !both_ways,
            cut: fault.cut,
            extra_latency_ms: fault.extra_latency_ms,
            drop_rate: fault.drop_rate,
        };
        if !reports.contains(&report) {
            reports.push(report);
        }
    }
    reports
}
