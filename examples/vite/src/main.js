// The URL of the compressed classifier: Vite compiled it at build time and emitted it as an asset.
import clsUrl from '@models/ch_ppocr_mobile_v2.0_cls_infer.onnx?squish=./cls.squish';

const bytes = new Uint8Array(await (await fetch(clsUrl)).arrayBuffer());
document.querySelector('#model').textContent = `${clsUrl}: ${bytes.length} bytes`;
