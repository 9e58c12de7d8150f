import { Module } from '@nestjs/common';
import { Service, ServiceBase } from 'nestjs-servus';

/** Answers its `n`: a service for specs about the transport (Redis trouble, closed apps), not the service. */
@Service({ name: 'faults.echo' })
export class Echo extends ServiceBase<{ n: number }, number> {
  async call({ n }: { n: number }) {
    return this.success(n);
  }
}

/** `Echo`, for `bootServus(options, [EchoModule])`; each spec boots its own app and prefix. */
@Module({ providers: [Echo] })
export class EchoModule {}
