// Driving the core by hand: the six-step run loop of docs/architecture.md §3 (each call of feed is one turn).
import { initialState, nextDeadline, step, clientId, linkId, profileId, type HubInput, type HubState } from '@dialoghub/core';

let state: HubState = initialState({ policy: 'replaceOld' }, 0);

function feed(input: HubInput, now: number): void {
  const { state: next, commands } = step(state, input, now); // 1–2: one input, the clock's now
  state = next; // the old state is untouched and still valid
  for (const c of commands) {
    if (c.type === 'commit') continue; // 3: a real shell makes `input` durable here, before the rest
    console.log(now, c.type, JSON.stringify(c)); // 4: a real shell carries each command out, in order
  }
  console.log(now, 'next deadline', nextDeadline(state)); // 5: arm the one timer there; 6: repeat
}

feed({ type: 'profileCreated', actionId: 'p1', profileId: profileId(1), name: 'Sales' }, 1_000);
feed(
  {
    type: 'requestReceived',
    link: linkId(7),
    request: {
      kind: 'register',
      requestId: 1,
      clientId: clientId(42),
      profileId: profileId(1),
      contact: { name: 'Ada', phone: '555-0100', email: 'ada@example.org' },
      environment: { os: 'linux' },
    },
    issued: { secret: 'drawn-by-the-shell' }, // randomness enters as input, never inside the core
  },
  2_000,
);
feed({ type: 'timerFired' }, nextDeadline(state)!); // 10 s of silence: the hub sends a Sync
