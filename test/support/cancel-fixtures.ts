import { Injectable, Module } from '@nestjs/common';
import { Service, ServiceBase } from 'nestjs-servus';

/** What the cancellation fault specs watch: the ids `Charge` ran with, and a hold on its runs. */
@Injectable()
export class Gate {
  readonly runs: string[] = [];
  /** Set by a held run: ends it. */
  release?: () => void;
  /** While on, each run waits for `release`. */
  hold = false;
}

/** Records its run in `Gate`; held until released when `hold` is on. */
@Service({ name: 'cancel-faults.charge' })
export class Charge extends ServiceBase<{ id: string }, string> {
  constructor(private readonly gate: Gate) {
    super();
  }
  async call({ id }: { id: string }) {
    this.gate.runs.push(id);
    if (this.gate.hold) await new Promise<void>((resolve) => (this.gate.release = resolve));
    return this.success(id);
  }
}

/** `Charge` and its `Gate`, for `bootServus(options, [ChargeModule])`; each spec boots its own app and prefix. */
@Module({ providers: [Gate, Charge], exports: [Gate] })
export class ChargeModule {}
