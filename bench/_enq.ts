import { measureExactJson, findNonJson } from 'nestjs-servus/async/job-payload.codec';
import { argsOf } from './scale.bench';
const args = argsOf(1024*1024);
let sink: any;
function t(fn: () => any) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 40; i++) sink = fn();
  return Number(process.hrtime.bigint() - t0) / 40 / 1000;
}
const json = JSON.stringify(args);
const r: Record<string, number[]> = {exact:[], find:[], byteLength:[]};
for (let k = 0; k < 7; k++) {
  r.exact.push(t(() => measureExactJson(args, 64)));
  r.find.push(t(() => findNonJson(args)));
  r.byteLength.push(t(() => Buffer.byteLength(json)));
}
for (const [k, v] of Object.entries(r)) console.log(k, v.sort((a,b)=>a-b).map(x=>x.toFixed(0)).join(' '));
void sink;
