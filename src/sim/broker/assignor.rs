//! Partition assignors of the group coordinator: Range (Kafka's default) and round-robin.

use crate::sim::sorted_map::SortedMap;
use std::rc::Rc;

use crate::sim::types::{TopicId, TopicPartition};

/// Range assignment (Kafka's default): per topic, partitions in order over the members sorted by
/// id; the first `partitions % members` members get one extra.
pub fn range_assign<M: Ord + Copy>(
    members: &SortedMap<M, Vec<Rc<str>>>,
    topics: &[(TopicId, Rc<str>, u32)],
) -> SortedMap<M, Vec<TopicPartition>> {
    let mut out: SortedMap<M, Vec<TopicPartition>> =
        members.keys().map(|m| (*m, Vec::new())).collect();
    for (id, name, partitions) in topics {
        let subscribed: Vec<M> = members
            .iter()
            .filter(|(_, t)| t.contains(name))
            .map(|(m, _)| *m)
            .collect();
        if subscribed.is_empty() {
            continue;
        }
        let per = *partitions as usize / subscribed.len();
        let extra = *partitions as usize % subscribed.len();
        let mut next = 0u32;
        for (i, m) in subscribed.iter().enumerate() {
            let count = per + usize::from(i < extra);
            for _ in 0..count {
                out.get_mut(m).expect("member").push(TopicPartition {
                    topic: *id,
                    partition: next,
                });
                next += 1;
            }
        }
    }
    out
}

/// Round-robin assignment: every partition of every topic, sorted, dealt to subscribed members.
pub fn round_robin_assign<M: Ord + Copy>(
    members: &SortedMap<M, Vec<Rc<str>>>,
    topics: &[(TopicId, Rc<str>, u32)],
) -> SortedMap<M, Vec<TopicPartition>> {
    let mut out: SortedMap<M, Vec<TopicPartition>> =
        members.keys().map(|m| (*m, Vec::new())).collect();
    let ids: Vec<M> = members.keys().copied().collect();
    if ids.is_empty() {
        return out;
    }
    let mut sorted: Vec<&(TopicId, Rc<str>, u32)> = topics.iter().collect();
    crate::sim::sort::sort_by_key(&mut sorted, |t| t.1.clone());
    let mut cursor = 0usize;
    for (id, name, partitions) in sorted {
        for p in 0..*partitions {
            for _ in 0..ids.len() {
                let m = ids[cursor % ids.len()];
                cursor += 1;
                if members[&m].contains(name) {
                    out.get_mut(&m).expect("member").push(TopicPartition {
                        topic: *id,
                        partition: p,
                    });
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::types::ClientId;

    #[test]
    fn range_gives_first_members_the_extra_partition() {
        let t: Rc<str> = Rc::from("orders");
        let members: SortedMap<ClientId, Vec<Rc<str>>> = [
            (ClientId(1), vec![t.clone()]),
            (ClientId(2), vec![t.clone()]),
        ]
        .into_iter()
        .collect();
        let a = range_assign(&members, &[(TopicId(0), t.clone(), 3)]);
        let parts = |c: u32| {
            a[&ClientId(c)]
                .iter()
                .map(|tp| tp.partition)
                .collect::<Vec<_>>()
        };
        assert_eq!(parts(1), vec![0, 1]);
        assert_eq!(parts(2), vec![2]);
        let rr = round_robin_assign(&members, &[(TopicId(0), t, 3)]);
        assert_eq!(
            rr[&ClientId(1)]
                .iter()
                .map(|tp| tp.partition)
                .collect::<Vec<_>>(),
            vec![0, 2]
        );
    }
}
