//! The runner's report: the final state of a run as JSON-ready values, and the comparison of a
//! scenario's `expect` entries with it.

use crate::sim::sorted_map::SortedMap;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::sim::{LeaderEpoch, Offset, SimTime};

/// Names of the report's top-level fields (what `expect` may name).
pub const REPORT_FIELDS: [&str; 22] = [
    "name",
    "seed",
    "ended_at_ms",
    "controllers",
    "active_controller",
    "brokers",
    "partitions",
    "producer",
    "acked",
    "lost_acked",
    "duplicates",
    "orders",
    "groups",
    "elections",
    "invariant_violations",
    "action_errors",
    "expect_failures",
    "dropped_by_actions",
    "records_truncated",
    "links",
    "narration",
    "events",
];

/// Most records of one partition the report lists (the latest ones).
pub const REPORT_RECORDS_MAX: usize = 200;

/// Most trace events a report carries.
pub const TRACE_EVENTS_MAX: usize = 200_000;

/// One controller of the quorum.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ControllerReport {
    /// Controller number.
    pub id: u32,
    /// "online", "failed" or "isolated".
    pub state: &'static str,
    /// Its quorum role ("leader", "follower", "candidate", "prospective", "unattached",
    /// "resigned"), null while down.
    pub role: Option<&'static str>,
    /// Its quorum epoch.
    pub epoch: u32,
    /// End offset of its metadata log.
    pub metadata_end_offset: Offset,
    /// Its quorum high watermark.
    pub metadata_high_watermark: Offset,
}

/// A broker and its state: "online", "failed" or "isolated".
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BrokerReport {
    /// Broker number.
    pub id: u32,
    /// "online", "failed", "isolated" or "removed".
    pub state: &'static str,
    /// Its rack, when the brokers have racks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rack: Option<String>,
}

/// One replica's offsets.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReplicaReport {
    /// Broker number.
    pub broker: u32,
    /// Log end offset.
    pub log_end_offset: Offset,
    /// High watermark as this replica knows it.
    pub high_watermark: Offset,
}

/// A record of a log.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecordReport {
    /// Offset.
    pub offset: Offset,
    /// Key.
    pub key: Option<String>,
    /// Value.
    pub value: String,
    /// Leader epoch it was written in.
    pub leader_epoch: LeaderEpoch,
}

/// One partition at the end of the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PartitionReport {
    /// Topic name.
    pub topic: String,
    /// Partition number.
    pub partition: u32,
    /// Leader broker, null when offline.
    pub leader: Option<u32>,
    /// Leader epoch.
    pub leader_epoch: LeaderEpoch,
    /// Assigned replicas.
    pub replicas: Vec<u32>,
    /// In-sync replicas.
    pub isr: Vec<u32>,
    /// Replicas a running reassignment adds (empty when none runs).
    pub adding: Vec<u32>,
    /// Replicas a running reassignment removes.
    pub removing: Vec<u32>,
    /// The leader's high watermark (the most complete replica's when offline).
    pub high_watermark: Offset,
    /// Per replica.
    pub replica_states: Vec<ReplicaReport>,
    /// The leader's log (the most complete replica's when offline), the latest
    /// [`REPORT_RECORDS_MAX`] records.
    pub records: Vec<RecordReport>,
    /// Older records left out of `records`.
    pub records_omitted: usize,
}

/// Producer outcomes over every producer (the raw one and the services').
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProducerReport {
    /// Sends started.
    pub sent: u64,
    /// Sends acknowledged.
    pub acked: u64,
    /// Sends that failed for good.
    pub failed: u64,
    /// Sends whose producer crashed before it learned their outcome.
    pub abandoned: u64,
    /// acks=0 sends handed to the network.
    pub unacknowledged: u64,
    /// Error responses by Kafka name (retried or not).
    pub errors: SortedMap<String, u64>,
}

/// An acknowledged record of a `produce` action.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AckedReport {
    /// Topic name.
    pub topic: String,
    /// Partition.
    pub partition: u32,
    /// Offset the broker gave.
    pub offset: Offset,
    /// Key.
    pub key: Option<String>,
    /// Value.
    pub value: String,
    /// When the ack arrived.
    pub acked_at_ms: SimTime,
}

/// Order totals.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrdersReport {
    /// Orders created.
    pub created: u64,
    /// Orders paid.
    pub paid: u64,
    /// Orders refused.
    pub refused: u64,
    /// Orders shipped.
    pub shipped: u64,
    /// Emails sent.
    pub emails_sent: u64,
    /// Orders completed.
    pub completed: u64,
    /// Orders whose `order.created` could not be published.
    pub publish_failed: u64,
    /// Orders flagged stuck.
    pub stuck: u64,
    /// Redelivered records the services recognised and did not act on twice.
    pub duplicates_ignored: u64,
}

/// A group member.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemberReport {
    /// Member (client) id, "client-N".
    pub id: String,
    /// Its partitions, "topic-N".
    pub partitions: Vec<String>,
}

/// A consumer group.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupReport {
    /// Group id.
    pub group: String,
    /// "stable", "rebalancing" or "empty".
    pub state: String,
    /// Generation.
    pub generation: u32,
    /// Members.
    pub members: Vec<MemberReport>,
    /// Committed offsets by "topic-N".
    pub committed: SortedMap<String, Offset>,
    /// Total lag (HW minus committed).
    pub lag: u64,
}

/// Leader elections.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ElectionsReport {
    /// Leader changes committed by the controller on user topics.
    pub total: u64,
    /// Unclean ones.
    pub unclean: u64,
    /// Leader changes on internal topics (`__consumer_offsets`), counted apart.
    pub internal: u64,
    /// Unclean ones among them.
    pub internal_unclean: u64,
}

/// A faulty link at the end of a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkReport {
    /// One end (the sender, when one way).
    pub a: String,
    /// The other end.
    pub b: String,
    /// True when only `a` to `b` is faulty this way.
    pub one_way: bool,
    /// Nothing crosses.
    pub cut: bool,
    /// Added latency, in ms.
    pub extra_latency_ms: SimTime,
    /// Chance that a message is lost.
    pub drop_rate: f64,
}

/// One engine event of a trace.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceEvent {
    /// When.
    pub at_ms: SimTime,
    /// Event type (`leader_changed`, `produce_acked`...).
    pub kind: String,
    /// Its fields.
    pub detail: Value,
}

/// Everything a run ends with.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Scenario name.
    pub name: String,
    /// Seed.
    pub seed: u64,
    /// Simulated time at the end.
    pub ended_at_ms: SimTime,
    /// The quorum's controllers.
    pub controllers: Vec<ControllerReport>,
    /// The active controller's number, null when the quorum has none.
    pub active_controller: Option<u32>,
    /// Brokers.
    pub brokers: Vec<BrokerReport>,
    /// Partitions (without `__consumer_offsets`).
    pub partitions: Vec<PartitionReport>,
    /// Producer outcomes.
    pub producer: ProducerReport,
    /// Acknowledged records of `produce` actions.
    pub acked: Vec<AckedReport>,
    /// Acknowledged records (any producer) missing from their partition's final log.
    pub lost_acked: usize,
    /// Extra copies of records present more than once in a partition's log (same key and value).
    pub duplicates: usize,
    /// Orders.
    pub orders: OrdersReport,
    /// Consumer groups.
    pub groups: Vec<GroupReport>,
    /// Leader elections.
    pub elections: ElectionsReport,
    /// Records removed from logs by truncation.
    pub records_truncated: u64,
    /// The faulty links at the end.
    pub links: Vec<LinkReport>,
    /// Messages dropped by `drop_messages` actions.
    pub dropped_by_actions: u64,
    /// Safety properties broken during the run (first occurrence of each).
    pub invariant_violations: Vec<String>,
    /// Actions the world refused while running.
    pub action_errors: Vec<String>,
    /// When each narration step was shown (its event happened), null for a step whose event
    /// never happened.
    pub narration: Vec<Option<SimTime>>,
    /// Expectations that did not hold.
    pub expect_failures: Vec<String>,
    /// Every engine event (only with `--trace`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<TraceEvent>>,
}

impl Report {
    /// Compares the scenario's expectations with this report; fills `expect_failures`.
    pub fn check_expectations(&mut self, expect: &Map<String, Value>) {
        let actual = serde_json::to_value(&*self).unwrap_or(Value::Null);
        let mut failures = Vec::new();
        for (key, want) in expect {
            let got = actual.get(key).unwrap_or(&Value::Null);
            compare(key, want, got, &mut failures);
        }
        self.expect_failures = failures;
    }
}

/// Compares `want` with `got` at `path`: objects by the fields `want` gives (recursively),
/// arrays element by element with equal lengths, everything else by equality.
pub fn compare(path: &str, want: &Value, got: &Value, failures: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                let p = format!("{path}.{k}");
                match g.get(k) {
                    Some(gv) => compare(&p, wv, gv, failures),
                    None => failures.push(format!(
                        "{p}: expected {}, but the report has no such field",
                        short(wv)
                    )),
                }
            }
        }
        (Value::Array(w), Value::Array(g)) => {
            if w.len() != g.len() {
                failures.push(format!(
                    "{path}: expected {} entries, got {}: {}",
                    w.len(),
                    g.len(),
                    short(got)
                ));
                return;
            }
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                compare(&format!("{path}[{i}]"), wv, gv, failures);
            }
        }
        (Value::Number(w), Value::Number(g)) if w.as_f64() == g.as_f64() => {}
        _ if want == got => {}
        _ => failures.push(format!(
            "{path}: expected {}, got {}",
            short(want),
            short(got)
        )),
    }
}

fn short(v: &Value) -> String {
    let s = serde_json::to_string(v).unwrap_or_default();
    if s.chars().count() > 300 {
        let cut: String = s.chars().take(300).collect();
        format!("{cut}...")
    } else {
        s
    }
}
