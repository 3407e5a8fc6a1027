//! The Raft rules of one voter, each fed inputs and checked by the exact messages and events it
//! emits; then a small quorum with a message router, with and without random faults.

use std::collections::{BTreeMap, BinaryHeap};

use super::log::{Entry, EntryData, QuorumLog};
use super::observer::QuorumObserver;
use super::*;

type Node = QuorumNode<u32>;
type Effects = Vec<QuorumEffect<u32>>;

fn voters(n: u32) -> Vec<VoterId> {
    (1..=n).collect()
}

fn node(id: VoterId, n: u32) -> Node {
    let mut v = QuorumNode::new(id, &voters(n), QuorumTiming::kafka(), 7);
    v.start(0);
    let _ = v.take_effects();
    v
}

fn sends(effects: &Effects) -> Vec<(Peer, QuorumMessage<u32>)> {
    effects
        .iter()
        .filter_map(|e| match e {
            QuorumEffect::Send { to, message } => Some((*to, message.clone())),
            _ => None,
        })
        .collect()
}

fn events(effects: &Effects) -> Vec<QuorumEvent> {
    effects
        .iter()
        .filter_map(|e| match e {
            QuorumEffect::Event(ev) => Some(ev.clone()),
            _ => None,
        })
        .collect()
}

fn role_timer(effects: &Effects) -> Option<(QuorumTimer, SimDuration)> {
    effects.iter().rev().find_map(|e| match e {
        QuorumEffect::Timer {
            timer: t @ QuorumTimer::Role { .. },
            after,
        } => Some((*t, *after)),
        _ => None,
    })
}

fn vote(epoch: QuorumEpoch, last_epoch: QuorumEpoch, end_offset: Offset) -> QuorumMessage<u32> {
    QuorumMessage::Vote {
        epoch,
        last_epoch,
        end_offset,
        pre_vote: false,
    }
}

fn pre_vote(epoch: QuorumEpoch, last_epoch: QuorumEpoch, end: Offset) -> QuorumMessage<u32> {
    QuorumMessage::Vote {
        epoch,
        last_epoch,
        end_offset: end,
        pre_vote: true,
    }
}

fn answer(
    epoch: QuorumEpoch,
    granted: bool,
    pre_vote: bool,
    leader: Option<VoterId>,
) -> QuorumMessage<u32> {
    QuorumMessage::VoteResponse {
        epoch,
        granted,
        pre_vote,
        leader,
    }
}

fn fetch(
    epoch: QuorumEpoch,
    offset: Offset,
    last_fetched_epoch: QuorumEpoch,
) -> QuorumMessage<u32> {
    QuorumMessage::Fetch {
        epoch,
        offset,
        last_fetched_epoch,
    }
}

/// Voter 1 of `n`, elected in epoch 1 by votes from the others (its LeaderChange at offset 0).
fn leader_of(n: u32) -> Node {
    let mut l = node(1, n);
    l.become_candidate();
    for v in 2..=n {
        l.handle_message(1, Peer::Voter(v), answer(1, true, false, None));
    }
    assert_eq!(l.role(), QuorumRole::Leader);
    let _ = l.take_effects();
    l
}

#[test]
fn a_voter_grants_one_vote_per_epoch() {
    let mut v = node(1, 3);
    v.handle_message(10, Peer::Voter(2), vote(1, 0, 0));
    let fx = v.take_effects();
    assert_eq!(
        events(&fx),
        vec![
            QuorumEvent::RoleChanged {
                role: QuorumRole::Unattached,
                epoch: 1,
                leader: None
            },
            QuorumEvent::Voted {
                candidate: 2,
                epoch: 1
            }
        ]
    );
    assert_eq!(
        sends(&fx),
        vec![(Peer::Voter(2), answer(1, true, false, None))]
    );
    // Asked again by the same candidate: the same answer; by another: refused.
    v.handle_message(11, Peer::Voter(2), vote(1, 0, 0));
    assert_eq!(
        sends(&v.take_effects()),
        vec![(Peer::Voter(2), answer(1, true, false, None))]
    );
    v.handle_message(12, Peer::Voter(3), vote(1, 0, 0));
    assert_eq!(
        sends(&v.take_effects()),
        vec![(Peer::Voter(3), answer(1, false, false, None))]
    );
    // A later epoch is a new vote.
    v.handle_message(13, Peer::Voter(3), vote(2, 0, 0));
    assert_eq!(
        sends(&v.take_effects()),
        vec![(Peer::Voter(3), answer(2, true, false, None))]
    );
    assert_eq!((v.epoch(), v.voted_for()), (2, Some(3)));
    // An older epoch is refused with the current one.
    v.handle_message(14, Peer::Voter(2), vote(1, 0, 0));
    assert_eq!(
        sends(&v.take_effects()),
        vec![(Peer::Voter(2), answer(2, false, false, None))]
    );
}

#[test]
fn votes_go_only_to_logs_at_least_as_up_to_date() {
    let mut v = node(1, 3);
    v.epoch = 2;
    for e in [1, 2, 2, 2, 2] {
        v.log.append(e, EntryData::Record(0));
    }
    // Older last epoch (even longer), then same epoch but shorter: refused.
    v.handle_message(1, Peer::Voter(2), vote(3, 1, 10));
    assert_eq!(
        sends(&v.take_effects()),
        vec![(Peer::Voter(2), answer(3, false, false, None))]
    );
    v.handle_message(2, Peer::Voter(2), vote(4, 2, 4));
    assert_eq!(
        sends(&v.take_effects()),
        vec![(Peer::Voter(2), answer(4, false, false, None))]
    );
    // Same last epoch and length: granted; a later last epoch wins even when shorter.
    v.handle_message(3, Peer::Voter(2), vote(5, 2, 5));
    assert_eq!(
        sends(&v.take_effects()),
        vec![(Peer::Voter(2), answer(5, true, false, None))]
    );
    v.handle_message(4, Peer::Voter(3), vote(6, 3, 1));
    assert_eq!(
        sends(&v.take_effects()),
        vec![(Peer::Voter(3), answer(6, true, false, None))]
    );
}

#[test]
fn a_candidate_with_a_majority_leads_announces_itself_and_writes_a_leader_change() {
    let mut c = node(1, 3);
    c.become_candidate();
    let fx = c.take_effects();
    assert_eq!(
        sends(&fx),
        vec![
            (Peer::Voter(2), vote(1, 0, 0)),
            (Peer::Voter(3), vote(1, 0, 0)),
        ]
    );
    assert_eq!((c.epoch(), c.voted_for()), (1, Some(1)));
    // A refusal changes nothing; one grant is a majority of three.
    c.handle_message(5, Peer::Voter(3), answer(1, false, false, None));
    assert_eq!(c.role(), QuorumRole::Candidate);
    c.handle_message(6, Peer::Voter(2), answer(1, true, false, None));
    let fx = c.take_effects();
    assert_eq!(c.role(), QuorumRole::Leader);
    assert_eq!(
        sends(&fx),
        vec![
            (Peer::Voter(2), QuorumMessage::BeginQuorumEpoch { epoch: 1 }),
            (Peer::Voter(3), QuorumMessage::BeginQuorumEpoch { epoch: 1 }),
        ]
    );
    assert_eq!(
        c.log().entries(),
        &[Entry {
            offset: 0,
            epoch: 1,
            data: EntryData::LeaderChange { leader: 1 }
        }]
    );
    assert_eq!(
        c.high_watermark(),
        0,
        "not committed before a follower has it"
    );
}

#[test]
fn the_high_watermark_needs_a_majority_and_an_entry_of_the_leaders_epoch() {
    let mut l = leader_of(5);
    for r in [10, 11, 12] {
        l.propose(r);
    }
    assert_eq!(l.log().end_offset(), 4);
    // One follower at 4: two of five have it, no majority.
    l.handle_message(20, Peer::Voter(2), fetch(1, 4, 1));
    assert_eq!(l.high_watermark(), 0);
    // A second at 2: the third largest end offset is 2.
    l.handle_message(21, Peer::Voter(3), fetch(1, 2, 1));
    assert_eq!(l.high_watermark(), 2);
    let fx = l.take_effects();
    assert!(events(&fx).contains(&QuorumEvent::Committed { high_watermark: 2 }));
    // Entries of an older epoch are not committed until the leader's own LeaderChange is: a
    // leader of epoch 3 over a log of epoch 1 entries.
    let mut l = node(1, 3);
    l.epoch = 2;
    for r in [1, 2] {
        l.log.append(1, EntryData::Record(r));
    }
    l.become_candidate();
    l.handle_message(1, Peer::Voter(2), answer(3, true, false, None));
    assert_eq!(
        l.log().entry(2).map(|e| e.epoch),
        Some(3),
        "LeaderChange at 2"
    );
    l.handle_message(2, Peer::Voter(2), fetch(3, 2, 1));
    assert_eq!(
        l.high_watermark(),
        0,
        "offsets 0 and 1 of epoch 1 are on a majority, not enough"
    );
    l.handle_message(3, Peer::Voter(2), fetch(3, 3, 3));
    assert_eq!(l.high_watermark(), 3);
}

#[test]
fn a_diverging_follower_truncates_to_the_common_epoch_and_fetches_again() {
    // Leader's log: epochs 1 1 1 2 2, led now in epoch 4; the follower has 1 1 3 3 (written by
    // a leader of epoch 3 that never committed them).
    let mut l = node(1, 3);
    for e in [1, 1, 1, 2, 2] {
        l.log.append(e, EntryData::Record(e));
    }
    l.epoch = 3;
    l.become_candidate();
    l.handle_message(1, Peer::Voter(2), answer(4, true, false, None));
    let _ = l.take_effects();
    let mut f = node(2, 3);
    for e in [1, 1, 3, 3] {
        f.log.append(e, EntryData::Record(e + 100));
    }
    f.epoch = 4;
    f.become_follower(Some(2), 4, 1);
    let fx = f.take_effects();
    assert_eq!(sends(&fx), vec![(Peer::Voter(1), fetch(4, 4, 3))]);
    l.handle_message(3, Peer::Voter(2), fetch(4, 4, 3));
    let fx = l.take_effects();
    let (to, reply) = sends(&fx).remove(0);
    assert_eq!(to, Peer::Voter(2));
    assert_eq!(
        reply,
        QuorumMessage::FetchResponse {
            epoch: 4,
            leader: Some(1),
            high_watermark: 0,
            outcome: FetchOutcome::Diverging {
                epoch: 2,
                end_offset: 5
            }
        }
    );
    f.handle_message(4, Peer::Voter(1), reply);
    let fx = f.take_effects();
    // Its own epoch at or below 2 is 1, ending at 2: it keeps offsets 0 and 1.
    assert_eq!(events(&fx), vec![QuorumEvent::Truncated { offset: 2 }]);
    assert_eq!(sends(&fx), vec![(Peer::Voter(1), fetch(4, 2, 1))]);
    l.handle_message(5, Peer::Voter(2), fetch(4, 2, 1));
    let reply = sends(&l.take_effects()).remove(0).1;
    f.handle_message(6, Peer::Voter(1), reply);
    let epochs: Vec<QuorumEpoch> = f.log().entries().iter().map(|e| e.epoch).collect();
    assert_eq!(
        epochs,
        vec![1, 1, 1, 2, 2, 4],
        "the leader's log, its LeaderChange included"
    );
}

#[test]
fn a_leader_that_hears_from_no_majority_resigns() {
    let mut l = leader_of(3);
    let mut fx = Vec::new();
    l.propose(1);
    fx.extend(l.take_effects());
    // Voter 2 fetches during the first interval: the leader stays.
    l.handle_message(100, Peer::Voter(2), fetch(1, 0, 0));
    let _ = l.take_effects();
    let check = QuorumTimer::Role {
        generation: l.role_generation,
    };
    l.handle_timer(3000, check);
    assert_eq!(l.role(), QuorumRole::Leader);
    let (timer, after) = role_timer(&l.take_effects()).expect("next check");
    assert_eq!(after, 3000, "1.5 times the fetch timeout");
    // Nobody fetches in the next interval: it resigns.
    l.handle_timer(6000, timer);
    let fx = l.take_effects();
    assert_eq!(l.role(), QuorumRole::Resigned);
    assert_eq!(
        events(&fx),
        vec![QuorumEvent::RoleChanged {
            role: QuorumRole::Resigned,
            epoch: 1,
            leader: None
        }]
    );
    assert_eq!(l.propose(2), None, "a resigned leader takes no writes");
}

#[test]
fn pre_votes_are_refused_while_a_leader_is_heard_and_never_bump_the_epoch() {
    let mut f = node(2, 3);
    f.become_follower(Some(0), 1, 1);
    let _ = f.take_effects();
    f.handle_message(
        500,
        Peer::Voter(1),
        QuorumMessage::FetchResponse {
            epoch: 1,
            leader: Some(1),
            high_watermark: 0,
            outcome: FetchOutcome::Entries(Vec::new()),
        },
    );
    let _ = f.take_effects();
    // Voter 3 lost the leader; voter 2 still hears it.
    f.handle_message(1000, Peer::Voter(3), pre_vote(2, 0, 0));
    assert_eq!(
        sends(&f.take_effects()),
        vec![(Peer::Voter(3), answer(1, false, true, Some(1)))]
    );
    assert_eq!(
        (f.epoch(), f.voted_for()),
        (1, None),
        "a pre-vote changes nothing"
    );
    // Once the fetch timeout has passed since the last answer, it grants.
    f.handle_message(2600, Peer::Voter(3), pre_vote(2, 0, 0));
    assert_eq!(
        sends(&f.take_effects()),
        vec![(Peer::Voter(3), answer(1, true, true, Some(1)))]
    );
    // A prospective that gets a majority of pre-votes becomes a candidate of the next epoch.
    let mut p = node(3, 3);
    p.become_prospective();
    let fx = p.take_effects();
    assert_eq!(
        sends(&fx),
        vec![
            (Peer::Voter(1), pre_vote(1, 0, 0)),
            (Peer::Voter(2), pre_vote(1, 0, 0))
        ]
    );
    assert_eq!(p.epoch(), 0, "no epoch bump before a majority says yes");
    p.handle_message(10, Peer::Voter(2), answer(0, true, true, None));
    assert_eq!((p.role(), p.epoch()), (QuorumRole::Candidate, 1));
}

#[test]
fn a_follower_without_answers_for_the_fetch_timeout_asks_for_pre_votes() {
    let mut f = node(2, 3);
    f.become_follower(Some(0), 1, 1);
    let (timer, after) = role_timer(&f.take_effects()).expect("fetch timeout");
    assert_eq!(after, 2000);
    f.handle_timer(2000, timer);
    let fx = f.take_effects();
    assert_eq!(f.role(), QuorumRole::Prospective);
    assert_eq!(
        sends(&fx),
        vec![
            (Peer::Voter(1), pre_vote(2, 0, 0)),
            (Peer::Voter(3), pre_vote(2, 0, 0))
        ]
    );
    let (_, wait) = role_timer(&fx).expect("election timeout");
    assert!(
        (1000..2000).contains(&wait),
        "randomized election timeout {wait}"
    );
}

// ----- a quorum with a router -----

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Delivery {
    Message { to: Peer, from: Peer, seq: u64 },
    Timer { at_node: Peer, timer: QuorumTimer },
}

/// Voters and observers wired by a queue with a latency of 1 to 5 ms, dropping a share of
/// messages, with crashes.
struct Quorum {
    now: SimTime,
    voters: BTreeMap<VoterId, Node>,
    observers: BTreeMap<u32, QuorumObserver<u32>>,
    queue: BinaryHeap<std::cmp::Reverse<(SimTime, u64, Delivery)>>,
    messages: BTreeMap<u64, QuorumMessage<u32>>,
    seq: u64,
    rng: SimRng,
    drop_rate: f64,
    /// (epoch, leader) seen: at most one leader per epoch.
    leaders: BTreeMap<QuorumEpoch, VoterId>,
    /// Committed entries seen anywhere, by offset.
    committed: BTreeMap<Offset, (QuorumEpoch, EntryData<u32>)>,
}

impl Quorum {
    fn new(n: u32, observers: u32, seed: u64, drop_rate: f64) -> Self {
        let ids = voters(n);
        let mut q = Quorum {
            now: 0,
            voters: ids
                .iter()
                .map(|id| (*id, QuorumNode::new(*id, &ids, QuorumTiming::kafka(), seed)))
                .collect(),
            observers: (1..=observers)
                .map(|b| (b, QuorumObserver::new(b, &ids, 2000)))
                .collect(),
            queue: BinaryHeap::new(),
            messages: BTreeMap::new(),
            seq: 0,
            rng: SimRng::new(seed),
            drop_rate,
            leaders: BTreeMap::new(),
            committed: BTreeMap::new(),
        };
        for id in ids {
            q.voters.get_mut(&id).unwrap().start(0);
            q.flush(Peer::Voter(id));
        }
        for b in 1..=observers {
            q.observers.get_mut(&b).unwrap().start(0);
            q.flush(Peer::Observer(b));
        }
        q
    }

    fn flush(&mut self, at: Peer) {
        let fx = match at {
            Peer::Voter(v) => self.voters.get_mut(&v).unwrap().take_effects(),
            Peer::Observer(b) => self.observers.get_mut(&b).unwrap().take_effects(),
        };
        for e in fx {
            self.seq += 1;
            match e {
                QuorumEffect::Send { to, message } => {
                    if self.rng.chance(self.drop_rate) {
                        continue;
                    }
                    let when = self.now + 1 + self.rng.below(5);
                    self.messages.insert(self.seq, message);
                    let d = Delivery::Message {
                        to,
                        from: at,
                        seq: self.seq,
                    };
                    self.queue.push(std::cmp::Reverse((when, self.seq, d)));
                }
                QuorumEffect::Timer { timer, after } => {
                    let d = Delivery::Timer { at_node: at, timer };
                    self.queue
                        .push(std::cmp::Reverse((self.now + after, self.seq, d)));
                }
                QuorumEffect::Event(_) => {}
            }
        }
    }

    fn step(&mut self) -> bool {
        let Some(std::cmp::Reverse((at, _, d))) = self.queue.pop() else {
            return false;
        };
        self.now = at;
        let target = match d {
            Delivery::Message { to, from, seq } => {
                let m = self.messages.remove(&seq).expect("queued message");
                match to {
                    Peer::Voter(v) => self.voters.get_mut(&v).unwrap().handle_message(at, from, m),
                    Peer::Observer(b) => self
                        .observers
                        .get_mut(&b)
                        .unwrap()
                        .handle_message(at, from, m),
                }
                to
            }
            Delivery::Timer { at_node, timer } => {
                match at_node {
                    Peer::Voter(v) => self.voters.get_mut(&v).unwrap().handle_timer(at, timer),
                    Peer::Observer(b) => {
                        self.observers.get_mut(&b).unwrap().handle_timer(at, timer)
                    }
                }
                at_node
            }
        };
        self.flush(target);
        self.check();
        true
    }

    fn run_until(&mut self, t: SimTime) {
        while self
            .queue
            .peek()
            .is_some_and(|std::cmp::Reverse((at, _, _))| *at <= t)
        {
            self.step();
        }
        self.now = self.now.max(t);
    }

    fn leader(&self) -> Option<VoterId> {
        self.voters
            .values()
            .filter(|v| v.online() && v.role() == QuorumRole::Leader)
            .max_by_key(|v| v.epoch())
            .map(|v| v.id())
    }

    fn propose(&mut self, record: u32) -> Option<Offset> {
        let l = self.leader()?;
        let offset = self.voters.get_mut(&l).unwrap().propose(record);
        self.flush(Peer::Voter(l));
        offset
    }

    fn crash(&mut self, v: VoterId) {
        self.voters.get_mut(&v).unwrap().crash();
    }

    fn restart(&mut self, v: VoterId) {
        self.voters.get_mut(&v).unwrap().start(self.now);
        self.flush(Peer::Voter(v));
    }

    /// Raft's safety: one leader per epoch; committed entries never change, and every leader
    /// holds all of them (leader completeness); observers agree too.
    fn check(&mut self) {
        for v in self.voters.values().filter(|v| v.online()) {
            if v.role() == QuorumRole::Leader {
                let first = *self.leaders.entry(v.epoch()).or_insert(v.id());
                assert_eq!(first, v.id(), "two leaders in epoch {}", v.epoch());
                for (o, (e, d)) in &self.committed {
                    let mine = v
                        .log()
                        .entry(*o)
                        .expect("a leader holds every committed entry");
                    assert_eq!(
                        (mine.epoch, &mine.data),
                        (*e, d),
                        "leader {} at {o}",
                        v.id()
                    );
                }
            }
            assert!(v.high_watermark() <= v.log().end_offset());
        }
        let logs: Vec<(&QuorumLog<u32>, Offset)> = self
            .voters
            .values()
            .filter(|v| v.online())
            .map(|v| (v.log(), v.high_watermark()))
            .chain(
                self.observers
                    .values()
                    .map(|o| (o.log(), o.high_watermark())),
            )
            .collect();
        for (log, hw) in logs {
            for e in log.entries().iter().take(hw as usize) {
                match self.committed.get(&e.offset) {
                    Some((epoch, data)) => {
                        assert_eq!(
                            (*epoch, data),
                            (e.epoch, &e.data),
                            "committed entry {} changed",
                            e.offset
                        )
                    }
                    None => {
                        self.committed.insert(e.offset, (e.epoch, e.data.clone()));
                    }
                }
            }
        }
    }
}

#[test]
fn a_three_voter_quorum_elects_a_leader_replicates_and_replaces_it_when_it_crashes() {
    let mut q = Quorum::new(3, 2, 1, 0.0);
    q.run_until(5_000);
    let first = q.leader().expect("a leader within 5 s");
    for r in 0..10 {
        q.propose(r).unwrap();
    }
    q.run_until(6_000);
    let end = q.voters[&first].log().end_offset();
    for v in q.voters.values() {
        assert_eq!(
            v.high_watermark(),
            end,
            "voter {} committed everything",
            v.id()
        );
    }
    for o in q.observers.values() {
        assert_eq!(o.high_watermark(), end, "observer {} follows", o.broker());
        assert_eq!(o.leader(), Some(first));
    }
    let crashed_at = q.now;
    q.crash(first);
    let mut elected = None;
    while elected.is_none() {
        assert!(q.step());
        elected = q.leader().filter(|l| *l != first).map(|l| (l, q.now));
    }
    let (second, at) = elected.unwrap();
    let waited = at - crashed_at;
    // The fetch timeout counted from the last answer (which came at most a held fetch's wait
    // before the crash), then at most a pre-vote and a vote round (election timeouts up to 2 s).
    assert!(
        (1_500..=6_000).contains(&waited),
        "new leader after {waited} ms"
    );
    q.propose(99).unwrap();
    // An observer's Fetch to the crashed leader times out (2 s after it was sent) before it
    // asks another voter, which names the new leader.
    q.run_until(crashed_at + 2_000 + 2_000);
    q.run_until(q.now.max(at + 2_000));
    let end = q.voters[&second].log().end_offset();
    for o in q.observers.values() {
        assert_eq!((o.leader(), o.high_watermark()), (Some(second), end));
    }
    // Back, the old leader follows the new one and catches up.
    q.restart(first);
    q.run_until(q.now + 5_000);
    assert_eq!(q.voters[&first].role(), QuorumRole::Follower);
    assert_eq!(q.voters[&first].high_watermark(), end);
    assert_eq!(
        q.leader(),
        Some(second),
        "the restarted voter did not disturb the quorum"
    );
}

#[test]
fn without_a_majority_nothing_commits_and_the_quorum_resumes_once_it_is_back() {
    let mut q = Quorum::new(3, 1, 2, 0.0);
    q.run_until(5_000);
    let leader = q.leader().unwrap();
    let others: Vec<VoterId> = (1..=3).filter(|v| *v != leader).collect();
    q.crash(others[0]);
    q.crash(others[1]);
    let hw = q.voters[&leader].high_watermark();
    q.propose(7).unwrap();
    q.run_until(q.now + 10_000);
    assert_eq!(
        q.voters[&leader].high_watermark(),
        hw,
        "nothing commits without a majority"
    );
    assert_ne!(q.voters[&leader].role(), QuorumRole::Leader, "it resigned");
    assert_eq!(q.leader(), None);
    q.restart(others[0]);
    q.run_until(q.now + 8_000);
    let l = q.leader().expect("a leader again with two of three");
    q.propose(8).unwrap();
    q.run_until(q.now + 2_000);
    assert!(q.voters[&l].high_watermark() > hw);
}

#[test]
fn random_crashes_and_lost_messages_never_break_raft_safety() {
    for seed in 0..300u64 {
        let mut q = Quorum::new(if seed % 2 == 0 { 3 } else { 5 }, 2, seed, 0.05);
        let mut rng = SimRng::new(seed ^ 0xABCD);
        let n = q.voters.len() as u64;
        for round in 0..60u32 {
            let t = q.now + 200 + rng.below(800);
            q.run_until(t);
            match rng.below(10) {
                0 => {
                    let v = 1 + rng.below(n) as u32;
                    if q.voters[&v].online() {
                        q.crash(v);
                    } else {
                        q.restart(v);
                    }
                }
                1..=5 => {
                    let _ = q.propose(round);
                }
                _ => {}
            }
        }
        q.drop_rate = 0.0;
        for v in 1..=n as u32 {
            if !q.voters[&v].online() {
                q.restart(v);
            }
        }
        q.run_until(q.now + 15_000);
        let l = q.leader().unwrap_or_else(|| {
            let states: Vec<_> = q
                .voters
                .values()
                .map(|v| {
                    (
                        v.id(),
                        v.role(),
                        v.epoch(),
                        v.voted_for(),
                        v.log().last_epoch(),
                        v.log().end_offset(),
                        v.leader(),
                    )
                })
                .collect();
            panic!("seed {seed}: a leader once all are back: {states:?}")
        });
        q.propose(1_000).unwrap();
        q.run_until(q.now + 3_000);
        let end = q.voters[&l].log().end_offset();
        for v in q.voters.values() {
            assert_eq!(
                v.high_watermark(),
                end,
                "seed {seed}: voter {} caught up",
                v.id()
            );
        }
    }
}
