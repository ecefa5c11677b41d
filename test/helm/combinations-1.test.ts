// Half 1 of the chart combinations (test/helm/combinations-suite.ts).
import { combinationTests } from './combinations-suite';

combinationTests(0);
