/**
 * Theory of operation: mqtt.js (MQTT 3.1.1, `protocolVersion: 4`) clients for
 * the aedes peer. Every client gets its socket from a stream builder that
 * sets TCP_NODELAY (dialoghub's links always have it; neither mqtt.js nor
 * aedes sets it, and Nagle stalls would otherwise be measured as broker
 * time). No reconnects (`reconnectPeriod: 0`): a pushed-out client must stay
 * out, as a dialoghub client told `pushedOut` does.
 */
import { MqttClient, type IClientOptions } from 'mqtt';
import { connect as netConnect, type Socket } from 'node:net';
import { clock } from '../timing.js';

const HOST = '127.0.0.1';

function options(clientId: string, keepalive: number): IClientOptions {
  return { protocolVersion: 4, clientId, clean: true, reconnectPeriod: 0, keepalive, connectTimeout: 30_000 };
}

function socketTo(port: number): Socket {
  return netConnect({ host: HOST, port, noDelay: true });
}

/** A connected socket (handshake done). */
function connectedSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = socketTo(port);
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
  });
}

function whenConnected(client: MqttClient, what: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error): void => {
      client.end(true);
      reject(new Error(`${what}: ${error.message}`));
    };
    client.once('error', failed);
    client.once('connect', () => {
      client.off('error', failed);
      client.on('error', () => {});
      resolve(client);
    });
  });
}

/** Opens a TCP connection, sends CONNECT, resolves on CONNACK. */
export function mqttConnect(port: number, clientId: string, keepalive = 60): Promise<MqttClient> {
  const client = new MqttClient(() => socketTo(port), options(clientId, keepalive));
  return whenConnected(client, `connect ${clientId}`);
}

/** Ends a client (DISCONNECT, then the stream ends) and resolves once it is closed. */
export function mqttEnd(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.end(false, {}, () => resolve()));
}

/**
 * One session takeover: client `clientId` is connected on connection A; a
 * second client with the same id connects on connection B (TCP handshake done
 * first, outside the timing). Returns the time from B's CONNECT being written
 * until A's 'close', in ms.
 */
export async function mqttTakeover(port: number, clientId: string): Promise<number> {
  const old = await mqttConnect(port, clientId);
  const socket = await connectedSocket(port);
  const closed = new Promise<bigint>((resolve) => old.once('close', () => resolve(clock())));
  let t0 = 0n;
  const fresh = new MqttClient(() => socket, { ...options(clientId, 60), manualConnect: true });
  fresh.on('packetsend', (packet) => {
    if (packet.cmd === 'connect' && t0 === 0n) t0 = clock();
  });
  const connected = whenConnected(fresh, `takeover ${clientId}`);
  fresh.connect();
  await connected;
  const at = await closed;
  await mqttEnd(fresh);
  old.end(true);
  if (t0 === 0n) throw new Error('mqtt.js sent no CONNECT');
  return Number(at - t0) / 1e6;
}

/**
 * QoS 1 load on one connected client: up to `window` publishes in flight,
 * each acknowledged by the broker's PUBACK, drawing from the shared `budget`.
 * Resolves with the number of acknowledged publishes.
 */
export function mqttPump(client: MqttClient, topic: string, payload: Buffer, window: number, budget: { left: number }): Promise<number> {
  return new Promise((resolve, reject) => {
    let acked = 0;
    let outstanding = 0;
    let failed = false;
    const fill = (): void => {
      while (outstanding < window && budget.left > 0) {
        budget.left--;
        outstanding++;
        client.publish(topic, payload, { qos: 1 }, (error) => {
          if (error) {
            if (!failed) reject(error);
            failed = true;
            return;
          }
          acked++;
          outstanding--;
          fill();
        });
      }
      if (outstanding === 0 && !failed) resolve(acked);
    };
    fill();
  });
}
