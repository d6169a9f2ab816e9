/**
 * Theory of operation: a demo's result for a person (tables) and for a
 * program (one JSON object, `lost` at the top). The verdict: a run is clean
 * when nothing acknowledged was lost, nothing was handed over twice and the
 * final state passes every invariant.
 */
import { POLICIES } from '@dialoghub/core';
import { counts, num, pairs, table, bytes } from '../output/table.js';
import type { DemoResult } from './run-demo.js';

/** True when the run found nothing wrong. */
export function demoClean(r: DemoResult): boolean {
  return r.lost === 0 && r.duplicates === 0 && r.invariants.length === 0;
}

/** The JSON object of `dialoghub demo --json`. */
export function demoJson(r: DemoResult): unknown {
  return {
    lost: r.lost,
    duplicates: r.duplicates,
    invariants: r.invariants,
    clients: r.clients,
    seconds: r.seconds,
    wallSeconds: r.wallSeconds,
    address: r.address,
    profiles: r.profiles,
    policies: r.policies,
    engines: r.engines,
    registrations: r.registrations,
    logins: r.logins,
    resumes: r.resumes,
    drops: r.drops,
    takeovers: r.takeovers,
    takeoversByPolicy: r.takeoversByPolicy,
    rejections: r.rejections,
    rejectionsByPolicy: r.rejectionsByPolicy,
    offline: r.offline,
    stopped: r.stopped,
    delivered: r.delivered,
    messages: r.messages,
    settle: r.settle,
    steps: r.steps,
    stepsPerSecond: r.stepsPerSecond,
    trace: r.trace,
    timeline: r.timeline,
    timelineBytes: r.timelineBytes,
  };
}

/** The result as tables. */
export function renderDemo(r: DemoResult): string {
  const p = r.policies;
  const out: string[] = [];
  out.push(
    `demo: ${num(r.clients)} clients (${p.replaceOld} replaceOld, ${p.ignoreNew} ignoreNew, ${p.seniority} seniority) in ${num(r.profiles)} profiles, ` +
      `one hub on ${r.address.host}:${r.address.port}, ${num(r.seconds, 3)} s (${r.wallSeconds.toFixed(1)} s with setup and settling)`,
  );
  out.push(
    pairs([
      ['registrations', r.registrations],
      ['sessions opened', counts(r.logins)],
      ['client engines', r.engines],
      ['links cut', r.drops],
      ['resumes', r.resumes],
      ['takeovers', counts(r.takeovers)],
      ...POLICIES.map((policy) => [`  under ${policy}`, counts(r.takeoversByPolicy[policy])] as [string, string]),
      ['refusals', counts(r.rejections)],
      ...POLICIES.map((policy) => [`  under ${policy}`, counts(r.rejectionsByPolicy[policy])] as [string, string]),
      ['sessions ended', counts(r.offline)],
      ['engines stopped', counts(r.stopped)],
      ['hub steps', `${num(r.steps)} (${num(r.stepsPerSecond)} steps/s)`],
    ]),
  );
  const m = r.messages;
  out.push('', 'messages:');
  out.push(
    table(
      ['', 'sent', 'acknowledged', 'delivered', 'lost', 'duplicates'],
      [
        ['client → hub', m.clientToHub.sent, m.clientToHub.acknowledged, m.clientToHub.delivered, m.clientToHub.lost, m.clientToHub.duplicates],
        ['hub → client', m.hubToClient.sent, m.hubToClient.acknowledged, m.hubToClient.delivered, m.hubToClient.lost, m.hubToClient.duplicates],
      ],
    ),
  );
  out.push('');
  out.push(r.lost === 0 ? 'lost: 0 — every acknowledged message was delivered' : `lost: ${num(r.lost)} acknowledged message(s) never delivered`);
  if (r.duplicates > 0) out.push(`duplicates: ${num(r.duplicates)} message(s) handed over twice`);
  if (r.lost > 0) out.push(`  first lost: ${r.messages.lostSamples.join(', ')}`);
  if (!r.settle.settled) {
    const waiting = r.settle.hubOutbox.map((o) => `client ${o.clientId} (${o.messages})`).join(', ') || 'none';
    out.push(`not settled at the end (not a loss): engines still waiting ${r.settle.engines.join(', ') || 'none'}; hub messages never acknowledged by ${waiting}`);
  }
  out.push(r.invariants.length === 0 ? 'invariants: all hold in the final state' : `invariants: ${r.invariants.length} broken\n${r.invariants.map((v) => `  ${v}`).join('\n')}`);
  out.push(`trace: ${r.trace} (replay it: dialoghub replay ${r.trace})`);
  out.push(`timeline: ${r.timeline} (${bytes(r.timelineBytes)})`);
  return out.join('\n');
}
