import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { Worker } from 'bullmq';
import { fetchScript, ServiceLimits } from './fetch-script';
import { FetchGrant, FetchGrants } from './fetch-grants';
import type { FlowKeys } from '../async/flow-control.port';
import { FlowStore } from './flow-store';
import { packedToken } from './packed-token';

/** A Redis client as BullMQ's backend hands it to execCommand (ioredis, or BullMQ's wrapper of it). */
interface CommandClient {
  defineCommand(name: string, definition: { numberOfKeys: number; lua: string }): void;
  runCommand?(name: string, args: unknown[]): Promise<unknown>;
}

/** Where BullMQ 6's Worker runs its Lua scripts: every script call of the worker and of its jobs goes through it. */
interface ScriptRunner {
  execCommand(client: CommandClient, commandName: string, args: unknown[]): Promise<unknown>;
}

/** A fetch script as sent: BullMQ's keys count, our Lua, and the name it is defined under. */
interface FetchCommand {
  name: string;
  keys: number;
  /** Where BullMQ's packed options are among the call's arguments (keys included, from 0). */
  optsAt: number;
  lua: string;
}

/** BullMQ's scripts that hand the worker its next job, and where each one's packed options (the lock token) are. */
const FETCHES: Record<string, { keys: number; optsArg: number }> = {
  moveToActive: { keys: 11, optsArg: 3 },
  moveToFinished: { keys: 14, optsArg: 8 },
};

/** What the fetch step accepts in the names it writes: printable ASCII, at most 200 characters (as flow keys). */
const PRINTABLE = /^[\x20-\x7e]{1,200}$/;

/**
 * Takes the slot of a job inside the BullMQ script call that fetches it (fetch-script.ts), so that an admitted job
 * waits for no script call of its own, and sends this process's pending flow operations (releases above all) with
 * that same call. Installed on each Worker before it runs, when its BullMQ is the one this was written against (the
 * shape of its backend and of its two fetch scripts is checked, and the composed scripts must compile); otherwise
 * the worker fetches as BullMQ does and each limited job asks for its slot at admit.
 *
 * The slots taken wait in `grants` for their attempt's admit (FetchGrants).
 */
export class FetchSlots {
  private readonly logger = new Logger('Servus');
  /** The slots this step took, until their attempt's admit. */
  private readonly grants: FetchGrants;
  private commands?: Promise<Map<string, FetchCommand> | undefined>;
  /** Why the step is not installed was logged. */
  private said = false;

  constructor(
    private readonly store: FlowStore,
    /** The numbers of each limited service, by name. */
    private readonly limits: Map<string, ServiceLimits>,
  ) {
    this.grants = new FetchGrants(store, limits);
  }

  /** The slot this process's fetch took for `attempt` of a job of `service` under `keys` (FetchGrants.claim). */
  claim(queue: string, id: string, attempt: string, service: string, keys: FlowKeys): FetchGrant | undefined {
    return this.grants.claim(queue, id, attempt, service, keys);
  }

  /** A job refused before admit: a slot its fetch took for `attempt` is given back. */
  forgo(queue: string, id: string, attempt: string): void {
    this.grants.forgo(queue, id, attempt);
  }

  /** Installs the step in `worker`'s fetches; false when it cannot (the worker then fetches as BullMQ does). */
  async join(worker: Worker): Promise<boolean> {
    const backend = (worker as unknown as { backend?: Partial<ScriptRunner> }).backend;
    if (typeof backend?.execCommand !== 'function') return !!this.without('its Worker has no backend to run scripts');
    // The queue's name goes into the members the step writes, unchecked there.
    if (!PRINTABLE.test(worker.name))
      return !!this.without(`queue ${JSON.stringify(worker.name)} has characters outside printable ASCII`);
    const commands = await (this.commands ??= this.compose());
    if (!commands) return false;
    const original = backend.execCommand.bind(backend);
    const routed = new Map<string, { via: CommandClient; to: CommandClient }>();
    backend.execCommand = (client, commandName, args) => {
      const command = commands.get(commandName);
      if (!command) return original(client, commandName, args);
      // Through the runner as installed (what else reads the fetch's reply still does), with a client that sends
      // our script in place of BullMQ's.
      let route = routed.get(commandName);
      if (route?.to !== client)
        routed.set(commandName, (route = { via: this.via(client, command, worker.name), to: client }));
      return original(route.via, commandName, args);
    };
    return true;
  }

  /** `client`, except that its script call sends `command` with the flow step (every other property is its own). */
  private via(client: CommandClient, command: FetchCommand, queue: string): CommandClient {
    const named = client as CommandClient & Record<string, (args: unknown[]) => Promise<unknown>>;
    if (typeof named[command.name] !== 'function')
      client.defineCommand(command.name, { numberOfKeys: command.keys, lua: command.lua });
    // Read once, not on every fetch: BullMQ's client is a proxy, and every property read goes through its trap.
    const runCommand = client.runCommand?.bind(client);
    const send = runCommand
      ? (args: unknown[]) => runCommand(command.name, args)
      : (args: unknown[]) => named[command.name](args);
    // Defined, not assigned: an assignment would reach a proxy's set trap up the chain (BullMQ's client is one).
    return Object.create(client, {
      runCommand: { value: (_name: string, args: unknown[]) => this.fetch(send, command, args, queue) },
    }) as CommandClient;
  }

  /** Not async: each promise costs a job (async hooks are on in a Servus worker), and this one is on every fetch. */
  private fetch(
    send: (args: unknown[]) => Promise<unknown>,
    { keys, optsAt }: FetchCommand,
    args: unknown[],
    queue: string,
  ): Promise<unknown> {
    const ride = this.store.ride();
    const start = args.length - keys + 1;
    // BullMQ builds `args` for this one call (it reads its own part back afterwards, never past it): ours go after.
    args.push(queue, packedToken(args[optsAt]));
    ride?.appendTo(args);
    args.push(start);
    let sent: Promise<unknown>;
    const sentAt = Date.now();
    try {
      sent = send(args);
    } catch (error) {
      ride?.fail(error);
      throw error;
    }
    return sent.then(
      (reply) => {
        const [answers, grant, result] = reply as unknown[];
        ride?.answer(answers);
        if (Array.isArray(grant))
          this.grants.keep(queue, (result as unknown[])[1] as string, grant as string[], sentAt);
        if (result instanceof Error) throw result;
        return result;
      },
      (error: unknown) => {
        ride?.fail(error);
        throw error;
      },
    );
  }

  /** BullMQ's two fetch scripts with the step around them, compiled by Redis; undefined when this BullMQ differs. */
  private async compose(): Promise<Map<string, FetchCommand> | undefined> {
    let sources: Record<string, { content?: unknown; keys?: unknown } | undefined>;
    try {
      // The scripts of the BullMQ this process runs (its CommonJS build, next to its main file).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      sources = require(join(dirname(require.resolve('bullmq')), 'scripts')) as typeof sources;
    } catch {
      return this.without('its scripts were not found');
    }
    const commands = new Map<string, FetchCommand>();
    for (const [name, { keys, optsArg }] of Object.entries(FETCHES)) {
      const content = sources[name]?.content;
      if (sources[name]?.keys !== keys || typeof content !== 'string') return this.without(`${name} differs`);
      // The step reads the token from the packed options, the job from the answer's shape, and its own arguments
      // from the end: a script that counts its arguments would see ours.
      if (
        !content.includes(`cmsgpack.unpack(ARGV[${optsArg}])`) ||
        !content.includes('return {rcall("HGETALL", jobKey), jobId, 0, 0}') ||
        content.includes('#ARGV')
      )
        return this.without(`${name} differs`);
      const lua = fetchScript(content, optsArg, this.store.prefix, this.limits);
      try {
        await this.store.load(lua);
      } catch (error) {
        return this.without(`${name} with the step does not compile: ${(error as Error).message}`);
      }
      const digest = createHash('sha1').update(lua).digest('hex').slice(0, 12);
      commands.set(name, { name: `servusFetch:${name}:${digest}`, keys, optsAt: keys + optsArg - 1, lua });
    }
    return commands;
  }

  /** Said once per process. */
  private without(reason: string): undefined {
    if (this.said) return undefined;
    this.said = true;
    this.logger.warn(
      `Flow control: BullMQ's fetch cannot take the slots (${reason}); each limited job asks for its slot in a call of its own`,
    );
    return undefined;
  }
}
