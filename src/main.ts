// The cdk8s app behind `cdk8s synth` / `npm run synth`: every example, one manifest file each. Not exported.
import { App } from 'cdk8s';
import { EXAMPLES } from '../examples';

const app = new App();
for (const build of Object.values(EXAMPLES)) {
  const chart = build(app);
  for (const warning of chart.relaxedDefaults) console.error(`WARNING ${chart.node.id}: security default relaxed: ${warning}`);
}
app.synth();
