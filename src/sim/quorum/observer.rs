//! A broker's view of the metadata log: an observer of the quorum that fetches from the leader
//! (found by asking any voter), truncates on divergence and learns the high watermark. It never
//! votes and never counts for the high watermark.

use crate::sim::types::{Offset, SimDuration, SimTime};

use super::log::QuorumLog;
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
    effects: Vec<QuorumEffect<R>>,
}

impl<R: Clone> QuorumObserver<R> {
    /// Broker `broker` following a quorum of `voters`.
    pub fn new(broker: u32, voters: &[VoterId], request_timeout_ms: SimDuration) -> Self {
        let mut voters = voters.to_vec();
        voters.sort_unstable();
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
            effects: Vec::new(),
        }
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

    /// Starts fetching (a restarted broker keeps its log, as Kafka keeps its metadata log).
    pub fn start(&mut self, _now: SimTime) {
        self.online = true;
        self.leader = None;
        self.high_watermark = self.high_watermark.min(self.log.end_offset());
        self.fetch_from_next();
    }

    /// Stops; its fetch and timers are void.
    pub fn crash(&mut self) {
        self.online = false;
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

    /// A timer fired: a Fetch went unanswered, or a retry is due.
    pub fn handle_timer(&mut self, _now: SimTime, timer: QuorumTimer) {
        let QuorumTimer::Role { generation } = timer else {
            return;
        };
        if !self.online || generation != self.generation {
            return;
        }
        if self.in_flight.take().is_some() {
            // No answer: that voter may be gone; ask another.
            self.leader = None;
        }
        match self.leader {
            Some(l) => self.fetch(l),
            None => self.fetch_from_next(),
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
