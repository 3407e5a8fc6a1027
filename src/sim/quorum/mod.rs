//! One controller's part in the KRaft quorum (KIP-595, pre-vote of KIP-996): its role, epoch and
//! vote, its copy of the metadata log, elections, pull replication with divergence and
//! truncation, the quorum high watermark and resignation. A sans-IO node: inputs in
//! (`handle_message`, `handle_timer`, `propose`), effects out (`take_effects`).
//!
//! Brokers follow the log as observers ([`observer::QuorumObserver`]).

pub mod log;
pub mod observer;
#[cfg(test)]
mod tests;

use crate::sim::sorted_map::SortedMap;
use crate::sim::sorted_map::SortedSet;

use crate::sim::rng::SimRng;
use crate::sim::types::{Offset, SimDuration, SimTime};

use log::{Entry, EntryData, QuorumLog};

/// A leader epoch of the quorum.
pub type QuorumEpoch = u32;

/// A voter of the quorum, 1 to the number of controllers.
pub type VoterId = u32;

/// Entries a Fetch answer carries at most.
pub const FETCH_ENTRIES_MAX: usize = 64;

/// Who is at the other end of a quorum message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Peer {
    /// A controller of the quorum.
    Voter(VoterId),
    /// A broker following the log.
    Observer(u32),
}

/// Kafka's quorum timings (`controller.quorum.*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuorumTiming {
    /// `fetch.timeout.ms` (2000): a follower that hears nothing from its leader this long starts
    /// an election; a leader that hears from no majority for 1.5 times this resigns.
    pub fetch_timeout_ms: SimDuration,
    /// `election.timeout.ms` (1000): an election's deadline, randomized up to twice this.
    pub election_timeout_ms: SimDuration,
    /// `election.backoff.max.ms` (1000): the most a failed election waits before the next.
    pub election_backoff_max_ms: SimDuration,
    /// How long the leader holds a Fetch that finds nothing new (Kafka: 500 ms).
    pub fetch_max_wait_ms: SimDuration,
}

impl QuorumTiming {
    /// Kafka's defaults.
    pub fn kafka() -> Self {
        Self {
            fetch_timeout_ms: 2000,
            election_timeout_ms: 1000,
            election_backoff_max_ms: 1000,
            fetch_max_wait_ms: 500,
        }
    }

    /// How long a leader may go without fetches from a majority before it resigns.
    pub fn check_quorum_ms(&self) -> SimDuration {
        self.fetch_timeout_ms * 3 / 2
    }
}

/// A Fetch answer's content.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum FetchOutcome<R> {
    /// Entries from the requested offset (maybe none).
    Entries(Vec<Entry<R>>),
    /// The fetcher's log diverges: its last fetched epoch ends at `end_offset` here.
    Diverging {
        /// The largest epoch at or below the fetcher's last fetched epoch.
        epoch: QuorumEpoch,
        /// Where that epoch ends in the leader's log.
        end_offset: Offset,
    },
    /// The receiver is not the leader of that epoch (FENCED_LEADER_EPOCH or NOT_LEADER); the
    /// response's epoch and leader say who is.
    NotLeader,
}

/// The quorum's messages (Kafka's Vote, BeginQuorumEpoch and Fetch APIs).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum QuorumMessage<R> {
    /// A prospective voter (pre-vote) or a candidate asks for a vote in `epoch`.
    Vote {
        /// The epoch the vote is for (the candidate's next epoch in a pre-vote).
        epoch: QuorumEpoch,
        /// The last epoch of the candidate's log.
        last_epoch: QuorumEpoch,
        /// The candidate's log end offset.
        end_offset: Offset,
        /// A pre-vote: would you vote for me? (Nothing changes on either side.)
        pre_vote: bool,
    },
    /// The answer to a Vote.
    VoteResponse {
        /// The responder's epoch.
        epoch: QuorumEpoch,
        /// Whether it votes for the candidate.
        granted: bool,
        /// Whether the request was a pre-vote.
        pre_vote: bool,
        /// The leader the responder knows in its epoch.
        leader: Option<VoterId>,
    },
    /// A new leader announces itself to the voters.
    BeginQuorumEpoch {
        /// Its epoch.
        epoch: QuorumEpoch,
    },
    /// A follower or an observer pulls the log from `offset`.
    Fetch {
        /// The fetcher's epoch.
        epoch: QuorumEpoch,
        /// Its log end offset.
        offset: Offset,
        /// The epoch of its last entry.
        last_fetched_epoch: QuorumEpoch,
    },
    /// The answer to a Fetch.
    FetchResponse {
        /// The responder's epoch.
        epoch: QuorumEpoch,
        /// The leader it knows in that epoch.
        leader: Option<VoterId>,
        /// The quorum high watermark.
        high_watermark: Offset,
        /// Entries, divergence or redirection.
        outcome: FetchOutcome<R>,
    },
}

impl<R> QuorumMessage<R> {
    /// The API's name, as Kafka calls it.
    pub fn api_name(&self) -> &'static str {
        match self {
            QuorumMessage::Vote { pre_vote: true, .. } => "Vote (pre-vote)",
            QuorumMessage::Vote { .. } => "Vote",
            QuorumMessage::VoteResponse { .. } => "VoteResponse",
            QuorumMessage::BeginQuorumEpoch { .. } => "BeginQuorumEpoch",
            QuorumMessage::Fetch { .. } => "Fetch",
            QuorumMessage::FetchResponse { .. } => "FetchResponse",
        }
    }
}

/// The timers of a quorum node. A timer of an older generation is ignored when it fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum QuorumTimer {
    /// The current role's deadline: election timeout, fetch timeout, backoff or check-quorum.
    Role {
        /// Which deadline.
        generation: u64,
    },
    /// A held Fetch from `peer` has waited long enough.
    FetchWait {
        /// The fetcher.
        peer: Peer,
        /// Which hold.
        generation: u64,
    },
    /// Resend BeginQuorumEpoch to the voters that have not fetched yet.
    BeginQuorumResend {
        /// The epoch it leads.
        epoch: QuorumEpoch,
    },
}

/// A voter's role in its epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum QuorumRole {
    /// Knows the epoch, knows no leader (at start, after a higher epoch, or backing off).
    Unattached,
    /// Asking for pre-votes before it bumps the epoch (KIP-996).
    Prospective,
    /// Asking for votes in its new epoch.
    Candidate,
    /// The active controller.
    Leader,
    /// Fetching from the leader.
    Follower,
    /// A leader that heard from no majority and gave up its epoch.
    Resigned,
}

impl QuorumRole {
    /// The role's name on the page and in reports.
    pub fn name(self) -> &'static str {
        match self {
            QuorumRole::Unattached => "unattached",
            QuorumRole::Prospective => "prospective",
            QuorumRole::Candidate => "candidate",
            QuorumRole::Leader => "leader",
            QuorumRole::Follower => "follower",
            QuorumRole::Resigned => "resigned",
        }
    }
}

/// What a quorum node reports to the world.
#[derive(Clone, Debug, PartialEq)]
pub enum QuorumEvent {
    /// Its role changed.
    RoleChanged {
        /// The new role.
        role: QuorumRole,
        /// Its epoch.
        epoch: QuorumEpoch,
        /// The leader it follows, or itself when leader.
        leader: Option<VoterId>,
    },
    /// It voted for `candidate` in `epoch`.
    Voted {
        /// Who.
        candidate: VoterId,
        /// When.
        epoch: QuorumEpoch,
    },
    /// Its high watermark moved: entries below are committed.
    Committed {
        /// The new high watermark.
        high_watermark: Offset,
    },
    /// It removed the entries from `offset` (its log diverged from the leader's).
    Truncated {
        /// The new end offset.
        offset: Offset,
    },
}

/// An effect of a quorum node, in emission order.
#[derive(Clone, Debug, PartialEq)]
pub enum QuorumEffect<R> {
    /// Send a message.
    Send {
        /// To whom.
        to: Peer,
        /// What.
        message: QuorumMessage<R>,
    },
    /// Fire `timer` after `after` ms.
    Timer {
        /// Which.
        timer: QuorumTimer,
        /// When.
        after: SimDuration,
    },
    /// Report.
    Event(QuorumEvent),
}

/// The leader's view of a voter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct VoterProgress {
    /// Its end offset, from its last valid Fetch.
    end_offset: Option<Offset>,
    /// Whether it fetched during the current check-quorum interval.
    fetched_recently: bool,
}

/// A Fetch the leader holds until there is something new or the wait is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct HeldFetch {
    offset: Offset,
    generation: u64,
}

#[derive(Clone, Debug, PartialEq)]
enum RoleState {
    Unattached,
    Prospective { granted: SortedSet<VoterId> },
    Candidate { granted: SortedSet<VoterId> },
    Leader(LeaderState),
    Follower { leader: VoterId },
    Resigned,
}

#[derive(Clone, Debug, PartialEq)]
struct LeaderState {
    /// Offset of its LeaderChange entry: the HW moves only past it.
    epoch_start: Offset,
    voters: SortedMap<VoterId, VoterProgress>,
    held: SortedMap<Peer, HeldFetch>,
    /// The high watermark each fetcher was last told: a fetcher that is behind is answered at
    /// once rather than held.
    told_hw: SortedMap<Peer, Offset>,
}

/// One voter of the quorum.
#[derive(Clone, Debug)]
pub struct QuorumNode<R> {
    id: VoterId,
    voters: Vec<VoterId>,
    timing: QuorumTiming,
    rng: SimRng,
    online: bool,
    // Kept across a crash (Kafka's quorum-state file and the log).
    epoch: QuorumEpoch,
    voted_for: Option<VoterId>,
    log: QuorumLog<R>,
    // Lost in a crash.
    role: RoleState,
    high_watermark: Offset,
    /// The leader of the epoch, as far as this node knows (kept while it is unattached).
    known_leader: Option<VoterId>,
    /// When the follower last heard a valid Fetch answer from its leader.
    leader_heard_at: Option<SimTime>,
    /// Generation of the role's deadline.
    role_generation: u64,
    /// Generation of the last held fetch.
    hold_generation: u64,
    /// The leader of the formatted log, until the first start resumes it.
    formatted_leader: Option<VoterId>,
    effects: Vec<QuorumEffect<R>>,
}

impl<R: Clone> QuorumNode<R> {
    /// Voter `id` of a quorum of `voters` (ids), with its random stream seeded by `seed`.
    pub fn new(id: VoterId, voters: &[VoterId], timing: QuorumTiming, seed: u64) -> Self {
        let mut voters = voters.to_vec();
        crate::sim::sort::sort_by_key(&mut voters, |v| *v);
        voters.dedup();
        assert!(voters.contains(&id), "a voter is in its own quorum");
        Self {
            id,
            voters,
            timing,
            rng: SimRng::child(seed, 0x51_0000 + u64::from(id)),
            online: false,
            epoch: 0,
            voted_for: None,
            log: QuorumLog::new(),
            role: RoleState::Unattached,
            high_watermark: 0,
            known_leader: None,
            leader_heard_at: None,
            role_generation: 0,
            hold_generation: 0,
            formatted_leader: None,
            effects: Vec::new(),
        }
    }

    /// Writes the log a formed quorum starts from: `leader`'s leader change in epoch 1, then
    /// `records`, all committed. The first [`start`](Self::start) resumes that quorum at once
    /// (the leader leads, the others follow it) instead of electing.
    pub fn format(&mut self, leader: VoterId, records: Vec<R>) {
        assert!(
            !self.online && self.log.end_offset() == 0,
            "only a new voter is formatted"
        );
        self.epoch = 1;
        self.voted_for = Some(leader);
        self.log.append(1, EntryData::LeaderChange { leader });
        for r in records {
            self.log.append(1, EntryData::Record(r));
        }
        self.formatted_leader = Some(leader);
    }

    // ----- getters -----

    /// Its id.
    pub fn id(&self) -> VoterId {
        self.id
    }

    /// Whether it runs.
    pub fn online(&self) -> bool {
        self.online
    }

    /// Its role.
    pub fn role(&self) -> QuorumRole {
        match self.role {
            RoleState::Unattached => QuorumRole::Unattached,
            RoleState::Prospective { .. } => QuorumRole::Prospective,
            RoleState::Candidate { .. } => QuorumRole::Candidate,
            RoleState::Leader(_) => QuorumRole::Leader,
            RoleState::Follower { .. } => QuorumRole::Follower,
            RoleState::Resigned => QuorumRole::Resigned,
        }
    }

    /// Its epoch.
    pub fn epoch(&self) -> QuorumEpoch {
        self.epoch
    }

    /// Whom it voted for in its epoch.
    pub fn voted_for(&self) -> Option<VoterId> {
        self.voted_for
    }

    /// The leader of its epoch, as far as it knows.
    pub fn leader(&self) -> Option<VoterId> {
        match self.role {
            RoleState::Leader(_) => Some(self.id),
            _ => self.known_leader,
        }
    }

    /// Its copy of the log.
    pub fn log(&self) -> &QuorumLog<R> {
        &self.log
    }

    /// Its high watermark: entries below are committed.
    pub fn high_watermark(&self) -> Offset {
        self.high_watermark
    }

    /// Whether it leads and its epoch's first entry is committed: only then does it know every
    /// committed entry, so only then may the active controller act.
    pub fn leader_ready(&self) -> bool {
        matches!(&self.role, RoleState::Leader(ls) if self.high_watermark > ls.epoch_start)
    }

    /// The voters' ids.
    pub fn voters(&self) -> &[VoterId] {
        &self.voters
    }

    /// The effects emitted since the last call, in order.
    #[must_use]
    pub fn take_effects(&mut self) -> Vec<QuorumEffect<R>> {
        std::mem::take(&mut self.effects)
    }

    fn majority(&self) -> usize {
        self.voters.len() / 2 + 1
    }

    // ----- life cycle -----

    /// Starts (or restarts after a crash) with what it kept: epoch, vote and log. It knows no
    /// leader and waits a randomized election timeout before asking for pre-votes.
    pub fn start(&mut self, now: SimTime) {
        self.online = true;
        self.high_watermark = 0;
        self.known_leader = None;
        self.leader_heard_at = None;
        if let Some(leader) = self.formatted_leader.take() {
            self.high_watermark = self.log.end_offset();
            if leader == self.id {
                // The formatted epoch: its leader change is the log's first entry.
                self.lead_from(0);
            } else {
                self.become_follower(Some(now), self.epoch, leader);
            }
            return;
        }
        self.become_unattached(false);
        if self.voters.len() == 1 {
            self.become_candidate();
        }
    }

    /// Stops: its role, high watermark and held fetches are gone; its epoch, vote and log stay.
    pub fn crash(&mut self) {
        self.online = false;
        self.role = RoleState::Unattached;
        self.role_generation += 1;
        self.effects.clear();
    }

    // ----- inputs -----

    /// The leader appends a record; `None` when this node is not the leader.
    pub fn propose(&mut self, record: R) -> Option<Offset> {
        if !self.online || !matches!(self.role, RoleState::Leader(_)) {
            return None;
        }
        let offset = self.log.append(self.epoch, EntryData::Record(record));
        self.update_leader_progress();
        self.answer_held_fetches();
        Some(offset)
    }

    /// A message from `from`.
    pub fn handle_message(&mut self, now: SimTime, from: Peer, message: QuorumMessage<R>) {
        if !self.online {
            return;
        }
        match message {
            QuorumMessage::Vote {
                epoch,
                last_epoch,
                end_offset,
                pre_vote,
            } => {
                let Peer::Voter(candidate) = from else { return };
                self.handle_vote(now, candidate, epoch, last_epoch, end_offset, pre_vote);
            }
            QuorumMessage::VoteResponse {
                epoch,
                granted,
                pre_vote,
                leader,
            } => {
                let Peer::Voter(voter) = from else { return };
                self.handle_vote_response(voter, epoch, granted, pre_vote, leader);
            }
            QuorumMessage::BeginQuorumEpoch { epoch } => {
                let Peer::Voter(leader) = from else { return };
                if epoch > self.epoch || (epoch == self.epoch && self.leader().is_none()) {
                    self.become_follower(Some(now), epoch, leader);
                }
            }
            QuorumMessage::Fetch {
                epoch,
                offset,
                last_fetched_epoch,
            } => self.handle_fetch(from, epoch, offset, last_fetched_epoch),
            QuorumMessage::FetchResponse {
                epoch,
                leader,
                high_watermark,
                outcome,
            } => self.handle_fetch_response(now, from, epoch, leader, high_watermark, outcome),
        }
    }

    /// A timer fired.
    pub fn handle_timer(&mut self, _now: SimTime, timer: QuorumTimer) {
        if !self.online {
            return;
        }
        match timer {
            QuorumTimer::Role { generation } if generation == self.role_generation => {
                self.role_deadline()
            }
            QuorumTimer::FetchWait { peer, generation } => {
                let RoleState::Leader(ls) = &mut self.role else {
                    return;
                };
                if ls
                    .held
                    .get(&peer)
                    .is_some_and(|h| h.generation == generation)
                {
                    let held = ls.held.remove(&peer).expect("checked");
                    self.answer_fetch(peer, held.offset);
                }
            }
            QuorumTimer::BeginQuorumResend { epoch } if epoch == self.epoch => {
                let RoleState::Leader(ls) = &self.role else {
                    return;
                };
                let silent: Vec<VoterId> = ls
                    .voters
                    .iter()
                    .filter(|(_, p)| p.end_offset.is_none())
                    .map(|(v, _)| *v)
                    .collect();
                for v in &silent {
                    self.send(
                        Peer::Voter(*v),
                        QuorumMessage::BeginQuorumEpoch { epoch: self.epoch },
                    );
                }
                if !silent.is_empty() {
                    self.timer(
                        QuorumTimer::BeginQuorumResend { epoch: self.epoch },
                        self.timing.fetch_timeout_ms / 2,
                    );
                }
            }
            _ => {}
        }
    }

    // ----- rules -----

    fn role_deadline(&mut self) {
        let majority = self.majority();
        match &mut self.role {
            // No leader known, or no answer from the leader for the fetch timeout: ask for
            // pre-votes.
            RoleState::Unattached | RoleState::Resigned | RoleState::Follower { .. } => {
                self.become_prospective()
            }
            // The election timed out: back off a random while, then try again.
            RoleState::Prospective { .. } | RoleState::Candidate { .. } => {
                self.become_unattached(true)
            }
            RoleState::Leader(ls) => {
                let heard = 1 + ls.voters.values().filter(|p| p.fetched_recently).count();
                if heard < majority {
                    self.resign();
                } else {
                    for p in ls.voters.values_mut() {
                        p.fetched_recently = false;
                    }
                    let after = self.timing.check_quorum_ms();
                    self.role_timer(after);
                }
            }
        }
    }

    fn handle_vote(
        &mut self,
        now: SimTime,
        candidate: VoterId,
        epoch: QuorumEpoch,
        last_epoch: QuorumEpoch,
        end_offset: Offset,
        pre_vote: bool,
    ) {
        let up_to_date = self.log.is_no_newer_than(last_epoch, end_offset);
        if pre_vote {
            // Granted to an up-to-date log for a later epoch, unless this voter still hears
            // from a leader (KIP-996: a disconnected voter cannot disturb a working quorum).
            let leader_alive = match self.role {
                RoleState::Leader(_) => true,
                RoleState::Follower { .. } => self
                    .leader_heard_at
                    .is_some_and(|t| now < t + self.timing.fetch_timeout_ms),
                _ => false,
            };
            let granted = epoch > self.epoch && up_to_date && !leader_alive;
            self.send(
                Peer::Voter(candidate),
                QuorumMessage::VoteResponse {
                    epoch: self.epoch,
                    granted,
                    pre_vote: true,
                    leader: self.leader(),
                },
            );
            return;
        }
        if epoch > self.epoch {
            self.observe_epoch(epoch, None);
        }
        let granted = epoch == self.epoch
            && up_to_date
            && self.voted_for.is_none_or(|v| v == candidate)
            && matches!(
                self.role,
                RoleState::Unattached | RoleState::Prospective { .. }
            );
        if granted && self.voted_for.is_none() {
            self.voted_for = Some(candidate);
            self.event(QuorumEvent::Voted { candidate, epoch });
            // A voter that voted waits for the winner before running itself.
            if !matches!(self.role, RoleState::Unattached) {
                self.role = RoleState::Unattached;
                self.event_role();
            }
            let after = self.random_election_timeout();
            self.role_timer(after);
        }
        self.send(
            Peer::Voter(candidate),
            QuorumMessage::VoteResponse {
                epoch: self.epoch,
                granted,
                pre_vote: false,
                leader: self.leader(),
            },
        );
    }

    fn handle_vote_response(
        &mut self,
        voter: VoterId,
        epoch: QuorumEpoch,
        granted: bool,
        pre_vote: bool,
        leader: Option<VoterId>,
    ) {
        if epoch > self.epoch {
            match leader {
                // Hearsay: the leader itself has not been heard from yet.
                Some(l) if l != self.id => self.become_follower(None, epoch, l),
                _ => self.observe_epoch(epoch, None),
            }
            return;
        }
        let majority = self.majority();
        if let (RoleState::Prospective { .. }, true, false, Some(l)) =
            (&self.role, pre_vote, granted, leader)
        {
            // A voter still follows a leader of this epoch: follow it too.
            if epoch == self.epoch && l != self.id {
                self.become_follower(None, epoch, l);
                return;
            }
        }
        match &mut self.role {
            RoleState::Prospective { granted: votes } if pre_vote && granted => {
                votes.insert(voter);
                if votes.len() >= majority {
                    self.become_candidate();
                }
            }
            RoleState::Candidate { granted: votes }
                if !pre_vote && granted && epoch == self.epoch =>
            {
                votes.insert(voter);
                if votes.len() >= majority {
                    self.become_leader();
                }
            }
            _ => {}
        }
    }

    fn handle_fetch(
        &mut self,
        from: Peer,
        epoch: QuorumEpoch,
        offset: Offset,
        last_fetched_epoch: QuorumEpoch,
    ) {
        if epoch > self.epoch {
            self.observe_epoch(epoch, None);
        }
        let RoleState::Leader(ls) = &mut self.role else {
            let answer = self.fetch_answer(self.known_leader, FetchOutcome::NotLeader);
            self.send(from, answer);
            return;
        };
        if epoch < self.epoch {
            let answer = self.fetch_answer(Some(self.id), FetchOutcome::NotLeader);
            self.send(from, answer);
            return;
        }
        let (found_epoch, end) = self.log.end_offset_for_epoch(last_fetched_epoch);
        if offset > self.log.end_offset()
            || (offset > 0 && (found_epoch != last_fetched_epoch || offset > end))
        {
            let outcome = FetchOutcome::Diverging {
                epoch: found_epoch,
                end_offset: end,
            };
            let answer = self.fetch_answer(Some(self.id), outcome);
            self.send(from, answer);
            return;
        }
        ls.held.remove(&from);
        if let Peer::Voter(v) = from {
            if let Some(p) = ls.voters.get_mut(&v) {
                p.end_offset = Some(offset);
                p.fetched_recently = true;
            }
        }
        let moved = self.update_leader_progress();
        let RoleState::Leader(ls) = &self.role else {
            return;
        };
        let behind = ls.told_hw.get(&from).copied().unwrap_or(0) < self.high_watermark;
        if offset < self.log.end_offset() || moved || behind {
            self.answer_fetch(from, offset);
        } else {
            self.hold_generation += 1;
            let generation = self.hold_generation;
            let RoleState::Leader(ls) = &mut self.role else {
                return;
            };
            ls.held.insert(from, HeldFetch { offset, generation });
            self.timer(
                QuorumTimer::FetchWait {
                    peer: from,
                    generation,
                },
                self.timing.fetch_max_wait_ms,
            );
        }
        if moved {
            self.answer_held_fetches();
        }
    }

    fn handle_fetch_response(
        &mut self,
        now: SimTime,
        from: Peer,
        epoch: QuorumEpoch,
        leader: Option<VoterId>,
        high_watermark: Offset,
        outcome: FetchOutcome<R>,
    ) {
        let Peer::Voter(responder) = from else { return };
        if epoch > self.epoch {
            // A later epoch: follow its leader (whose fetch goes out now) or wait for one.
            match leader {
                Some(l) if l != self.id => {
                    let heard = (l == responder).then_some(now);
                    self.become_follower(heard, epoch, l)
                }
                _ => self.observe_epoch(epoch, None),
            }
            return;
        }
        let RoleState::Follower { leader: mine } = self.role else {
            return;
        };
        if mine != responder || epoch != self.epoch {
            return;
        }
        match outcome {
            FetchOutcome::Entries(entries) => {
                self.leader_heard_at = Some(now);
                self.log.append_fetched(entries);
                let hw = high_watermark.min(self.log.end_offset());
                if hw > self.high_watermark {
                    self.high_watermark = hw;
                    self.event(QuorumEvent::Committed { high_watermark: hw });
                }
                let after = self.timing.fetch_timeout_ms;
                self.role_timer(after);
                self.send_fetch(mine);
            }
            FetchOutcome::Diverging {
                epoch: diverging,
                end_offset,
            } => {
                self.leader_heard_at = Some(now);
                let to = self.log.truncate_to_common(diverging, end_offset);
                self.high_watermark = self.high_watermark.min(to);
                self.event(QuorumEvent::Truncated { offset: to });
                self.send_fetch(mine);
            }
            FetchOutcome::NotLeader => {}
        }
    }

    // ----- transitions -----

    /// Learns of a later epoch: no vote and no role in it yet.
    fn observe_epoch(&mut self, epoch: QuorumEpoch, leader: Option<VoterId>) {
        debug_assert!(epoch > self.epoch, "epochs only grow");
        self.epoch = epoch;
        self.voted_for = None;
        self.known_leader = leader;
        self.become_unattached(false);
    }

    fn become_unattached(&mut self, backing_off: bool) {
        self.role = RoleState::Unattached;
        self.event_role();
        let after = if backing_off {
            self.rng
                .range_inclusive(1, self.timing.election_backoff_max_ms.max(1))
        } else {
            self.random_election_timeout()
        };
        self.role_timer(after);
    }

    fn become_prospective(&mut self) {
        self.known_leader = None;
        self.role = RoleState::Prospective {
            granted: SortedSet::from([self.id]),
        };
        self.event_role();
        self.ask_for_votes(self.epoch + 1, true);
        if self.voters.len() == 1 {
            self.become_candidate();
        }
    }

    /// Arms the election timeout and asks every other voter for its (pre-)vote in `epoch`.
    fn ask_for_votes(&mut self, epoch: QuorumEpoch, pre_vote: bool) {
        let after = self.random_election_timeout();
        self.role_timer(after);
        let (last_epoch, end_offset) = (self.log.last_epoch(), self.log.end_offset());
        for v in self.others() {
            self.send(
                Peer::Voter(v),
                QuorumMessage::Vote {
                    epoch,
                    last_epoch,
                    end_offset,
                    pre_vote,
                },
            );
        }
    }

    fn become_candidate(&mut self) {
        self.epoch += 1;
        self.voted_for = Some(self.id);
        self.known_leader = None;
        self.role = RoleState::Candidate {
            granted: SortedSet::from([self.id]),
        };
        self.event_role();
        self.ask_for_votes(self.epoch, false);
        if self.voters.len() == 1 {
            self.become_leader();
        }
    }

    fn become_leader(&mut self) {
        let epoch_start = self
            .log
            .append(self.epoch, EntryData::LeaderChange { leader: self.id });
        self.lead_from(epoch_start);
        for v in self.others() {
            self.send(
                Peer::Voter(v),
                QuorumMessage::BeginQuorumEpoch { epoch: self.epoch },
            );
        }
        if self.voters.len() > 1 {
            self.timer(
                QuorumTimer::BeginQuorumResend { epoch: self.epoch },
                self.timing.fetch_timeout_ms / 2,
            );
        }
        self.update_leader_progress();
    }

    /// Takes the leader's role for the epoch whose leader change is at `epoch_start`, with its
    /// check-quorum deadline.
    fn lead_from(&mut self, epoch_start: Offset) {
        let voters = (self
            .others()
            .into_iter()
            .map(|v| (v, VoterProgress::default())))
        .collect();
        self.role = RoleState::Leader(LeaderState {
            epoch_start,
            voters,
            held: SortedMap::new(),
            told_hw: SortedMap::new(),
        });
        self.known_leader = Some(self.id);
        self.event_role();
        let after = self.timing.check_quorum_ms();
        self.role_timer(after);
    }

    /// Follows `leader` in `epoch`; `heard_at` is when the leader itself spoke (none when another
    /// voter named it), which decides whether this voter refuses pre-votes.
    fn become_follower(&mut self, heard_at: Option<SimTime>, epoch: QuorumEpoch, leader: VoterId) {
        if epoch > self.epoch {
            self.epoch = epoch;
            self.voted_for = None;
        }
        self.known_leader = Some(leader);
        self.leader_heard_at = heard_at;
        self.role = RoleState::Follower { leader };
        self.event_role();
        let after = self.timing.fetch_timeout_ms;
        self.role_timer(after);
        self.send_fetch(leader);
    }

    fn resign(&mut self) {
        self.role = RoleState::Resigned;
        self.known_leader = None;
        self.event_role();
        let after = self.random_election_timeout();
        self.role_timer(after);
    }

    // ----- leader helpers -----

    /// Recomputes the high watermark from the voters' end offsets; true when it moved.
    fn update_leader_progress(&mut self) -> bool {
        let RoleState::Leader(ls) = &self.role else {
            return false;
        };
        let mut ends: Vec<Offset> = ls
            .voters
            .values()
            .map(|p| p.end_offset.unwrap_or(0))
            .chain(std::iter::once(self.log.end_offset()))
            .collect();
        crate::sim::sort::sort_by_key(&mut ends, |e| std::cmp::Reverse(*e));
        let candidate = ends[self.voters.len() / 2];
        // Only once an entry of its own epoch is committed may it expose older ones.
        if candidate > ls.epoch_start && candidate > self.high_watermark {
            self.high_watermark = candidate;
            self.event(QuorumEvent::Committed {
                high_watermark: candidate,
            });
            return true;
        }
        false
    }

    fn answer_held_fetches(&mut self) {
        let RoleState::Leader(ls) = &mut self.role else {
            return;
        };
        let held: Vec<(Peer, HeldFetch)> = std::mem::take(&mut ls.held).into_iter().collect();
        for (peer, h) in held {
            self.answer_fetch(peer, h.offset);
        }
    }

    fn answer_fetch(&mut self, to: Peer, offset: Offset) {
        let hw = self.high_watermark;
        if let RoleState::Leader(ls) = &mut self.role {
            ls.told_hw.insert(to, hw);
        }
        let entries = self.log.read(offset, FETCH_ENTRIES_MAX);
        let answer = self.fetch_answer(Some(self.id), FetchOutcome::Entries(entries));
        self.send(to, answer);
    }

    /// A Fetch answer in this node's epoch, with its high watermark.
    fn fetch_answer(&self, leader: Option<VoterId>, outcome: FetchOutcome<R>) -> QuorumMessage<R> {
        QuorumMessage::FetchResponse {
            epoch: self.epoch,
            leader,
            high_watermark: self.high_watermark,
            outcome,
        }
    }

    // ----- effect helpers -----

    fn others(&self) -> Vec<VoterId> {
        self.voters
            .iter()
            .copied()
            .filter(|v| *v != self.id)
            .collect()
    }

    fn send_fetch(&mut self, leader: VoterId) {
        self.send(
            Peer::Voter(leader),
            QuorumMessage::Fetch {
                epoch: self.epoch,
                offset: self.log.end_offset(),
                last_fetched_epoch: self.log.last_epoch(),
            },
        );
    }

    fn random_election_timeout(&mut self) -> SimDuration {
        let t = self.timing.election_timeout_ms;
        t + self.rng.below(t.max(1))
    }

    /// Arms the role's deadline; older role deadlines are void.
    fn role_timer(&mut self, after: SimDuration) {
        self.role_generation += 1;
        self.timer(
            QuorumTimer::Role {
                generation: self.role_generation,
            },
            after,
        );
    }

    fn timer(&mut self, timer: QuorumTimer, after: SimDuration) {
        self.effects.push(QuorumEffect::Timer { timer, after });
    }

    fn send(&mut self, to: Peer, message: QuorumMessage<R>) {
        self.effects.push(QuorumEffect::Send { to, message });
    }

    fn event(&mut self, e: QuorumEvent) {
        self.effects.push(QuorumEffect::Event(e));
    }

    fn event_role(&mut self) {
        let e = QuorumEvent::RoleChanged {
            role: self.role(),
            epoch: self.epoch,
            leader: self.leader(),
        };
        self.event(e);
    }
}
