// The ONNX protobuf schema (current onnx/onnx.proto, IR 13 era) as field tables, by field number.
// Fields missing from older schema packages (NodeProto.overload/metadata_props, GraphProto
// .metadata_props, TensorProto.metadata_props, FunctionProto, configurations …) are all here.

export type Scalar = 'int64' | 'int32' | 'uint64' | 'enum' | 'float' | 'double' | 'string' | 'bytes' | 'bool';
export interface FieldDef {
  no: number;
  name: string;
  type: Scalar | MessageName;
  repeated?: boolean;
  packed?: boolean; // proto2 [packed = true]: written packed (always accepted packed or not)
}
export type MessageName =
  | 'ModelProto'
  | 'GraphProto'
  | 'NodeProto'
  | 'AttributeProto'
  | 'ValueInfoProto'
  | 'TensorProto'
  | 'Segment'
  | 'SparseTensorProto'
  | 'TensorShapeProto'
  | 'Dimension'
  | 'TypeProto'
  | 'TypeTensor'
  | 'TypeSequence'
  | 'TypeMap'
  | 'TypeOptional'
  | 'TypeSparseTensor'
  | 'TypeOpaque'
  | 'OperatorSetIdProto'
  | 'StringStringEntryProto'
  | 'TensorAnnotation'
  | 'TrainingInfoProto'
  | 'FunctionProto'
  | 'DeviceConfigurationProto'
  | 'NodeDeviceConfigurationProto'
  | 'ShardingSpecProto'
  | 'ShardedDimProto'
  | 'SimpleShardedDimProto'
  | 'IntIntListEntryProto';

const f = (no: number, name: string, type: FieldDef['type'], more: Partial<FieldDef> = {}): FieldDef => ({
  no,
  name,
  type,
  ...more,
});
const R = { repeated: true };
const P = { repeated: true, packed: true };

export const SCHEMA: Record<MessageName, FieldDef[]> = {
  ModelProto: [
    f(1, 'ir_version', 'int64'),
    f(2, 'producer_name', 'string'),
    f(3, 'producer_version', 'string'),
    f(4, 'domain', 'string'),
    f(5, 'model_version', 'int64'),
    f(6, 'doc_string', 'string'),
    f(7, 'graph', 'GraphProto'),
    f(8, 'opset_import', 'OperatorSetIdProto', R),
    f(14, 'metadata_props', 'StringStringEntryProto', R),
    f(20, 'training_info', 'TrainingInfoProto', R),
    f(25, 'functions', 'FunctionProto', R),
    f(26, 'configuration', 'DeviceConfigurationProto', R),
  ],
  GraphProto: [
    f(1, 'node', 'NodeProto', R),
    f(2, 'name', 'string'),
    f(5, 'initializer', 'TensorProto', R),
    f(10, 'doc_string', 'string'),
    f(11, 'input', 'ValueInfoProto', R),
    f(12, 'output', 'ValueInfoProto', R),
    f(13, 'value_info', 'ValueInfoProto', R),
    f(14, 'quantization_annotation', 'TensorAnnotation', R),
    f(15, 'sparse_initializer', 'SparseTensorProto', R),
    f(16, 'metadata_props', 'StringStringEntryProto', R),
  ],
  NodeProto: [
    f(1, 'input', 'string', R),
    f(2, 'output', 'string', R),
    f(3, 'name', 'string'),
    f(4, 'op_type', 'string'),
    f(5, 'attribute', 'AttributeProto', R),
    f(6, 'doc_string', 'string'),
    f(7, 'domain', 'string'),
    f(8, 'overload', 'string'),
    f(9, 'metadata_props', 'StringStringEntryProto', R),
    f(10, 'device_configurations', 'NodeDeviceConfigurationProto', R),
  ],
  AttributeProto: [
    f(1, 'name', 'string'),
    f(2, 'f', 'float'),
    f(3, 'i', 'int64'),
    f(4, 's', 'bytes'),
    f(5, 't', 'TensorProto'),
    f(6, 'g', 'GraphProto'),
    f(7, 'floats', 'float', R),
    f(8, 'ints', 'int64', R),
    f(9, 'strings', 'bytes', R),
    f(10, 'tensors', 'TensorProto', R),
    f(11, 'graphs', 'GraphProto', R),
    f(13, 'doc_string', 'string'),
    f(14, 'tp', 'TypeProto'),
    f(15, 'type_protos', 'TypeProto', R),
    f(20, 'type', 'enum'),
    f(21, 'ref_attr_name', 'string'),
    f(22, 'sparse_tensor', 'SparseTensorProto'),
    f(23, 'sparse_tensors', 'SparseTensorProto', R),
  ],
  ValueInfoProto: [
    f(1, 'name', 'string'),
    f(2, 'type', 'TypeProto'),
    f(3, 'doc_string', 'string'),
    f(4, 'metadata_props', 'StringStringEntryProto', R),
  ],
  TensorProto: [
    f(1, 'dims', 'int64', R),
    f(2, 'data_type', 'int32'),
    f(3, 'segment', 'Segment'),
    f(4, 'float_data', 'float', P),
    f(5, 'int32_data', 'int32', P),
    f(6, 'string_data', 'bytes', R),
    f(7, 'int64_data', 'int64', P),
    f(8, 'name', 'string'),
    f(9, 'raw_data', 'bytes'),
    f(10, 'double_data', 'double', P),
    f(11, 'uint64_data', 'uint64', P),
    f(12, 'doc_string', 'string'),
    f(13, 'external_data', 'StringStringEntryProto', R),
    f(14, 'data_location', 'enum'),
    f(16, 'metadata_props', 'StringStringEntryProto', R),
  ],
  Segment: [f(1, 'begin', 'int64'), f(2, 'end', 'int64')],
  SparseTensorProto: [
    f(1, 'values', 'TensorProto'),
    f(2, 'indices', 'TensorProto'),
    f(3, 'dims', 'int64', R),
  ],
  TensorShapeProto: [f(1, 'dim', 'Dimension', R)],
  Dimension: [f(1, 'dim_value', 'int64'), f(2, 'dim_param', 'string'), f(3, 'denotation', 'string')],
  TypeProto: [
    f(1, 'tensor_type', 'TypeTensor'),
    f(4, 'sequence_type', 'TypeSequence'),
    f(5, 'map_type', 'TypeMap'),
    f(6, 'denotation', 'string'),
    f(7, 'opaque_type', 'TypeOpaque'),
    f(8, 'sparse_tensor_type', 'TypeSparseTensor'),
    f(9, 'optional_type', 'TypeOptional'),
  ],
  TypeTensor: [f(1, 'elem_type', 'int32'), f(2, 'shape', 'TensorShapeProto')],
  TypeSequence: [f(1, 'elem_type', 'TypeProto')],
  TypeMap: [f(1, 'key_type', 'int32'), f(2, 'value_type', 'TypeProto')],
  TypeOptional: [f(1, 'elem_type', 'TypeProto')],
  TypeSparseTensor: [f(1, 'elem_type', 'int32'), f(2, 'shape', 'TensorShapeProto')],
  TypeOpaque: [f(1, 'domain', 'string'), f(2, 'name', 'string')],
  OperatorSetIdProto: [f(1, 'domain', 'string'), f(2, 'version', 'int64')],
  StringStringEntryProto: [f(1, 'key', 'string'), f(2, 'value', 'string')],
  TensorAnnotation: [
    f(1, 'tensor_name', 'string'),
    f(2, 'quant_parameter_tensor_names', 'StringStringEntryProto', R),
  ],
  TrainingInfoProto: [
    f(1, 'initialization', 'GraphProto'),
    f(2, 'algorithm', 'GraphProto'),
    f(3, 'initialization_binding', 'StringStringEntryProto', R),
    f(4, 'update_binding', 'StringStringEntryProto', R),
  ],
  FunctionProto: [
    f(1, 'name', 'string'),
    f(4, 'input', 'string', R),
    f(5, 'output', 'string', R),
    f(6, 'attribute', 'string', R),
    f(7, 'node', 'NodeProto', R),
    f(8, 'doc_string', 'string'),
    f(9, 'opset_import', 'OperatorSetIdProto', R),
    f(10, 'domain', 'string'),
    f(11, 'attribute_proto', 'AttributeProto', R),
    f(12, 'value_info', 'ValueInfoProto', R),
    f(13, 'overload', 'string'),
    f(14, 'metadata_props', 'StringStringEntryProto', R),
  ],
  DeviceConfigurationProto: [
    f(1, 'name', 'string'),
    f(2, 'num_devices', 'int32'),
    f(3, 'device', 'string', R),
  ],
  NodeDeviceConfigurationProto: [
    f(1, 'configuration_id', 'string'),
    f(2, 'sharding_spec', 'ShardingSpecProto', R),
    f(3, 'pipeline_stage', 'int32'),
  ],
  ShardingSpecProto: [
    f(1, 'tensor_name', 'string'),
    f(2, 'device', 'int64', R),
    f(3, 'index_to_device_group_map', 'IntIntListEntryProto', R),
    f(4, 'sharded_dim', 'ShardedDimProto', R),
  ],
  ShardedDimProto: [f(1, 'axis', 'int64'), f(2, 'simple_sharding', 'SimpleShardedDimProto', R)],
  SimpleShardedDimProto: [
    f(1, 'dim_value', 'int64'),
    f(2, 'dim_param', 'string'),
    f(3, 'num_shards', 'int64'),
  ],
  IntIntListEntryProto: [f(1, 'key', 'int64'), f(2, 'value', 'int64', R)],
};

/** AttributeProto.AttributeType numbers. */
export const ATTR_TYPES = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;
