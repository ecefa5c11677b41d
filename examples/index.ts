import { Construct } from 'constructs';
import { AirflowChart } from '../src';
import { cornflowExample } from './cornflow';
import { defaultExample } from './default';
import { minimalExample } from './minimal';
import { productionExample } from './production';

/** Every example by name: `npm run synth` writes each to `dist/<chart id>.k8s.yaml`. */
export const EXAMPLES: Record<string, (scope: Construct) => AirflowChart> = {
  cornflow: cornflowExample,
  default: defaultExample,
  minimal: minimalExample,
  production: productionExample,
};
