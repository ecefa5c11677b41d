// Half 2 of the chart combinations (test/helm/combinations-suite.ts).
import { combinationTests } from './combinations-suite';

combinationTests(1);
