// Every gpu.js kernel file, imported for its registration in the op kernel registry.
import './Concat.ts';
import './Conv.ts';
import './ConvTranspose.ts';
import './Elementwise.ts';
import './GlobalAveragePool.ts';
import './MatMul.ts';
import './Resize.ts';
