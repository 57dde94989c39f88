// `where` predicates: the layer properties a recipe may compare, and what each compares against.

export const WHERE_PROPERTIES: Record<string, 'count' | 'int' | 'dims' | 'flag' | 'name'> = {
  params: 'count',
  flops: 'count',
  in_channels: 'int',
  out_channels: 'int',
  kernel: 'dims',
  group: 'int',
  stride: 'int',
  depthwise: 'flag',
  name: 'name',
  index: 'int',
};
