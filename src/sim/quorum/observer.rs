//! A broker's view of the metadata log: an observer of the quorum that fetches from the leader
//! (found by asking any voter), truncates on divergence and learns the high watermark. It never
//! votes and never counts for the high watermark.

use crate::sim::types::{Offset, SimDuration, SimTime};

use super::log::{EntryData, QuorumLog};
use super::{
    FetchOutcome, Peer, QuorumEffect, QuorumEpoch, QuorumEvent, QuorumMessage, QuorumTimer, VoterId,
};

/// How long an observer waits before asking again when no voter knows a leader (Kafka's
/// `controller.quorum.retry.backoff.ms` is 20; slower here, so an election does not flood the
/// page with fetches).
pub const OBSERVER_RETRY_BACKOFF_MS: SimDuration = 200;

/// One broker following the metadata log.
#[derive(Clone, Debug)]
pub struct QuorumObserver<R> {
    broker: u32,
    voters: Vec<VoterId>,
    /// How long a Fetch may go unanswered before another voter is asked.
    request_timeout_ms: SimDuration,
    online: bool,
    log: QuorumLog<R>,
    high_watermark: Offset,
    epoch: QuorumEpoch,
    leader: Option<VoterId>,
    /// The voter asked last, when no leader is known.
    next_voter: usize,
    /// The voter its Fetch went to and the generation of its timer.
    in_flight: Option<(VoterId, u64)>,
    generation: u64,
    /// The leader of the formatted log, until the first start.
    formatted_leader: Option<VoterId>,
    effects: Vec<QuorumEffect<R>>,
}

impl<R: Clone> QuorumObserver<R> {
    /// Broker `broker` following a quorum of `voters`.
    pub fn new(broker: u32, voters: &[VoterId], request_timeout_ms: SimDuration) -> Self {
        let mut voters = voters.to_vec();
        crate::sim::sort::sort_by_key(&mut voters, |v| *v);
        voters.dedup();
        assert!(!voters.is_empty(), "a quorum has voters");
        Self {
            broker,
            next_voter: broker as usize % voters.len(),
            voters,
            request_timeout_ms,
            online: false,
            log: QuorumLog::new(),
            high_watermark: 0,
            epoch: 0,
            leader: None,
            in_flight: None,
            generation: 0,
            formatted_leader: None,
            effects: Vec::new(),
        }
    }

    /// Holds the log a formed quorum starts from (see [`super::QuorumNode::format`]), all
    /// committed; the first start fetches from `leader`.
    pub fn format(&mut self, leader: VoterId, records: Vec<R>) {
        assert!(
            !self.online && self.log.end_offset() == 0,
            "only a new observer is formatted"
        );
        self.epoch = 1;
        self.log.append(1, EntryData::LeaderChange { leader });
        for r in records {
            self.log.append(1, EntryData::Record(r));
        }
        self.high_watermark = self.log.end_offset();
        self.formatted_leader = Some(leader);
    }

    /// Its copy of the log.
    pub fn log(&self) -> &QuorumLog<R> {
        &self.log
    }

    /// The high watermark it learned: entries below are committed and may be applied.
    pub fn high_watermark(&self) -> Offset {
        self.high_watermark
    }

    /// The leader it fetches from.
    pub fn leader(&self) -> Option<VoterId> {
        self.leader
    }

    /// The epoch it knows.
    pub fn epoch(&self) -> QuorumEpoch {
        self.epoch
    }

    /// The effects emitted since the last call, in order.
    #[must_use]
    pub fn take_effects(&mut self) -> Vec<QuorumEffect<R>> {
        std::mem::take(&mut self.effects)
    }

    /// Starts fetching (a restarted broker keeps its log, as Kafka keeps its metadata log, but
    /// learns the high watermark again).
    pub fn start(&mut self, _now: SimTime) {
        self.online = true;
        self.leader = self.formatted_leader.take();
        self.high_watermark = self.high_watermark.min(self.log.end_offset());
        match self.leader {
            Some(l) => self.fetch(l),
            None => self.fetch_from_next(),
        }
    }

    /// Stops; its fetch, timers and high watermark are void.
    pub fn crash(&mut self) {
        self.online = false;
        self.high_watermark = 0;
        self.in_flight = None;
        self.generation += 1;
        self.effects.clear();
    }

    /// A Fetch answer.
    pub fn handle_message(&mut self, _now: SimTime, from: Peer, message: QuorumMessage<R>) {
        let Peer::Voter(voter) = from else { return };
        let QuorumMessage::FetchResponse {
            epoch,
            leader,
            high_watermark,
            outcome,
        } = message
        else {
            return;
        };
        if !self.online || self.in_flight.map(|(v, _)| v) != Some(voter) {
            return;
        }
        self.in_flight = None;
        if epoch > self.epoch {
            self.epoch = epoch;
            self.leader = leader;
        }
        match outcome {
            FetchOutcome::Entries(entries) if leader == Some(voter) && epoch == self.epoch => {
                self.leader = Some(voter);
                self.log.append_fetched(entries);
                let hw = high_watermark.min(self.log.end_offset());
                if hw > self.high_watermark {
                    self.high_watermark = hw;
                    self.effects
                        .push(QuorumEffect::Event(QuorumEvent::Committed {
                            high_watermark: hw,
                        }));
                }
                self.fetch(voter);
            }
            FetchOutcome::Diverging {
                epoch: diverging,
                end_offset,
            } => {
                let to = self.log.truncate_to_common(diverging, end_offset);
                self.high_watermark = self.high_watermark.min(to);
                self.effects
                    .push(QuorumEffect::Event(QuorumEvent::Truncated { offset: to }));
                self.fetch(voter);
            }
            _ => match leader.filter(|l| *l != voter) {
                // Redirected to the leader this voter knows.
                Some(l) if epoch >= self.epoch => {
                    self.leader = Some(l);
                    self.fetch(l);
                }
                _ => {
                    self.leader = None;
                    self.retry_later(OBSERVER_RETRY_BACKOFF_MS);
                }
            },
        }
    }

    /// The Fetch to `voter` was refused (its process is down): ask another voter after the
    /// backoff.
    pub fn handle_unreachable(&mut self, voter: VoterId) {
        if !self.online || self.in_flight.map(|(v, _)| v) != Some(voter) {
            return;
        }
        self.in_flight = None;
        self.leader = None;
        self.skip_past(voter);
        self.retry_later(OBSERVER_RETRY_BACKOFF_MS);
    }

    /// A timer fired: a Fetch went unanswered, or a retry is due.
    pub fn handle_timer(&mut self, _now: SimTime, timer: QuorumTimer) {
        let QuorumTimer::Role { generation } = timer else {
            return;
        };
        if !self.online || generation != self.generation {
            return;
        }
        if let Some((silent, _)) = self.in_flight.take() {
            // No answer: that voter may be gone; ask the next one after it.
            self.leader = None;
            self.skip_past(silent);
        }
        match self.leader {
            Some(l) => self.fetch(l),
            None => self.fetch_from_next(),
        }
    }

    /// The next voter asked without a known leader is the one after `voter`.
    fn skip_past(&mut self, voter: VoterId) {
        if let Some(i) = self.voters.iter().position(|v| *v == voter) {
            self.next_voter = (i + 1) % self.voters.len();
        }
    }

    fn fetch_from_next(&mut self) {
        let v = self.voters[self.next_voter % self.voters.len()];
        self.next_voter = (self.next_voter + 1) % self.voters.len();
        self.fetch(v);
    }

    fn fetch(&mut self, voter: VoterId) {
        self.generation += 1;
        self.in_flight = Some((voter, self.generation));
        self.effects.push(QuorumEffect::Send {
            to: Peer::Voter(voter),
            message: QuorumMessage::Fetch {
                epoch: self.epoch,
                offset: self.log.end_offset(),
                last_fetched_epoch: self.log.last_epoch(),
            },
        });
        self.effects.push(QuorumEffect::Timer {
            timer: QuorumTimer::Role {
                generation: self.generation,
            },
            after: self.request_timeout_ms,
        });
    }

    fn retry_later(&mut self, after: SimDuration) {
        self.generation += 1;
        self.effects.push(QuorumEffect::Timer {
            timer: QuorumTimer::Role {
                generation: self.generation,
            },
            after,
        });
    }

    /// Its broker id.
    pub fn broker(&self) -> u32 {
        self.broker
    }
}
