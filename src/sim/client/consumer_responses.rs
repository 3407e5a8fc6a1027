//! How a consumer reacts to the brokers' answers: metadata, join and sync, heartbeats, committed
//! offsets, resets, fetched records and commit results.

use super::{Consumer, ConsumerRequest, ConsumerTimer, MemberPhase, Position};
use crate::sim::client::ClientEnv;
use crate::sim::events::{ConsumedRecord, EventKind};
use crate::sim::network::{ErrorCode, FetchResult, Payload};
use crate::sim::node::{Context, Outbox};
use crate::sim::types::{NodeId, SimTime};

impl Consumer {
    /// A message from a broker.
    pub fn handle_message(
        &mut self,
        now: SimTime,
        _from: NodeId,
        payload: Payload,
        ctx: &Context,
        env: &mut ClientEnv,
        out: &mut Outbox<ConsumerTimer>,
    ) {
        if let Payload::ConsumerFetchResponse { request_id, .. } = &payload {
            self.request_answered(*request_id, out);
        }
        match payload {
            Payload::MetadataResponse { partitions } => {
                let answered = self.metadata.handle_response(partitions);
                if !answered {
                    self.request_metadata(ctx, env, out);
                }
            }
            Payload::JoinGroupResponse { group: _, result } => {
                self.requests
                    .retain(|_, (r, _)| !matches!(r, ConsumerRequest::Join));
                match result {
                    Ok(generation) => {
                        self.generation = generation;
                        self.phase = MemberPhase::Syncing;
                        let group = self.group.clone();
                        let member = self.member();
                        let timeout = self.config.request_timeout_ms;
                        if let Some(coord) = self.coordinator(ctx) {
                            self.send_request(
                                coord,
                                ConsumerRequest::Sync,
                                |_| Payload::SyncGroup {
                                    group,
                                    member,
                                    generation,
                                },
                                timeout,
                                out,
                            );
                        }
                    }
                    Err(_) => {
                        self.phase = MemberPhase::Unjoined;
                        self.request_metadata(ctx, env, out);
                    }
                }
            }
            Payload::SyncGroupResponse { group: _, result } => {
                self.requests
                    .retain(|_, (r, _)| !matches!(r, ConsumerRequest::Sync));
                match result {
                    Ok(assignment) => {
                        self.phase = MemberPhase::Stable;
                        self.last_heartbeat_ok = now;
                        self.positions = assignment
                            .iter()
                            .map(|tp| (*tp, Position::default()))
                            .collect();
                        self.assignment = assignment.clone();
                        out.emit(EventKind::PartitionsAssigned {
                            consumer: self.id,
                            partitions: assignment,
                        });
                        self.tick_now(ctx, env, out);
                    }
                    Err(_) => self.phase = MemberPhase::Unjoined,
                }
            }
            Payload::GroupHeartbeatResponse { group: _, error } => {
                self.heartbeat_in_flight = false;
                match error {
                    None => self.last_heartbeat_ok = now,
                    Some(ErrorCode::NotCoordinator) => {
                        self.revoke(ctx, out);
                        self.request_metadata(ctx, env, out);
                    }
                    Some(_) => {
                        self.last_heartbeat_ok = now;
                        self.revoke(ctx, out);
                    }
                }
            }
            Payload::OffsetFetchResponse { group: _, result } => {
                self.requests
                    .retain(|_, (r, _)| !matches!(r, ConsumerRequest::OffsetFetch));
                match result {
                    Ok(list) => {
                        for (tp, committed) in list {
                            if let Some(p) = self.positions.get_mut(&tp) {
                                p.fetching_committed = false;
                                match committed {
                                    Some(o) => {
                                        p.offset = Some(o);
                                        p.acknowledged = o;
                                    }
                                    None => p.needs_reset = true,
                                }
                            }
                        }
                    }
                    Err(_) => {
                        for p in self.positions.values_mut() {
                            p.fetching_committed = false;
                        }
                        self.request_metadata(ctx, env, out);
                    }
                }
            }
            Payload::ListOffsetsResponse { tp, result } => {
                self.requests
                    .retain(|_, (r, _)| !matches!(r, ConsumerRequest::ListOffsets(t) if *t == tp));
                let Some(p) = self.positions.get_mut(&tp) else {
                    return;
                };
                p.resetting = false;
                match result {
                    Ok(offset) => {
                        p.needs_reset = false;
                        p.offset = Some(offset);
                        p.acknowledged = offset;
                        out.emit(EventKind::OffsetReset {
                            consumer: self.id,
                            tp,
                            offset,
                        });
                    }
                    Err(_) => self.request_metadata(ctx, env, out),
                }
            }
            Payload::ConsumerFetchResponse {
                request_id,
                partitions,
            } => {
                if self.requests.remove(&request_id).is_none() {
                    return;
                }
                let (mut delivered_any, mut stale_metadata) = (false, false);
                for (tp, result) in partitions {
                    let Some(p) = self.positions.get_mut(&tp) else {
                        continue;
                    };
                    if p.fetch_in_flight != Some(request_id) {
                        continue;
                    }
                    p.fetch_in_flight = None;
                    match result {
                        FetchResult::Records { records, .. } => {
                            let Some(position) = p.offset else { continue };
                            let delivered: Vec<ConsumedRecord> = records
                                .into_iter()
                                .filter(|(offset, ..)| *offset >= position)
                                .map(|(offset, _, data, _)| ConsumedRecord {
                                    tp,
                                    offset,
                                    key: data.key,
                                    value: data.value,
                                    timestamp: data.timestamp,
                                })
                                .collect();
                            if let Some(last) = delivered.last() {
                                p.offset = Some(last.offset + 1);
                                out.emit(EventKind::RecordsDelivered {
                                    consumer: self.id,
                                    records: delivered,
                                });
                                delivered_any = true;
                            }
                        }
                        FetchResult::Error(ErrorCode::OffsetOutOfRange) => {
                            p.offset = None;
                            p.needs_reset = true;
                        }
                        FetchResult::Error(_) | FetchResult::Diverging { .. } => {
                            stale_metadata = true;
                        }
                    }
                }
                // The partitions the answer did not list had nothing new.
                self.fetch_finished(request_id);
                if stale_metadata {
                    self.request_metadata(ctx, env, out);
                }
                if delivered_any {
                    self.tick_now(ctx, env, out);
                }
            }
            Payload::OffsetCommitResponse {
                request_id,
                group: _,
                result,
            } => {
                self.requests.remove(&request_id);
                self.request_answered(request_id, out);
                match result {
                    Ok(offsets) => out.emit(EventKind::OffsetsCommitted {
                        consumer: self.id,
                        offsets,
                    }),
                    Err(error) => {
                        out.emit(EventKind::CommitFailed {
                            consumer: self.id,
                            error,
                        });
                        if matches!(error, ErrorCode::NotCoordinator) {
                            self.request_metadata(ctx, env, out);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}
