/** The progress display lives in util/ so that telescope/ (below pipeline/) shares it. */
export { createProgress, type ProgressReporter } from '../util/progress.js';
