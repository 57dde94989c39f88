// Every wasm kernel file, imported for its registrations (library functions and registry entries).
import './vmath.ts';
import './pointwise.ts';
import './Elementwise.ts';
import './pad.ts';
import './conv-direct.ts';
import './depthwise.ts';
import './Conv.ts';
import './ConvTranspose.ts';
import './Resize.ts';
import './Concat.ts';
import './GlobalAveragePool.ts';
import './MatMul.ts';
import './Reshape.ts';
import './Softmax.ts';
import './Pool.ts';
import './ReduceMean.ts';
