// The lossy pass families (prune, factorize, cluster, quantize) register themselves with
// registerLossyPass when their module loads; importing this file loads them all.
// One import line per family.
import './factorize/index.ts';
import './cluster/index.ts';
import './prune/index.ts';
import './quantize/index.ts';
import './distill/index.ts';
