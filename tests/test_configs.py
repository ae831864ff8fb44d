"""Every config under configs/ (``_base_`` excluded): it loads, its model
builds (random init, nothing downloaded), every registry type it names
exists, class counts agree, RIPU's selection rounds follow the recipe, and
the real-data configs use local ImageNet checkpoints only.

The real configs build the full ResNet-101 models (well under a second each
on CPU); no weights are loaded and no dataset of absent data is built. One
test builds the real datasets on tiny fake data roots written here.
"""
import glob
import os
import os.path as osp
import re

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope, init_default_scope

import mmda  # noqa: F401  (registers everything)
from mmda.models import (TGCFDA, member_segmentor_cfgs, member_segmentors,
                         model_class)
from mmseg import registry as R

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG_DIR = osp.join(REPO, 'configs')
CONFIGS = sorted(
    osp.relpath(p, CONFIG_DIR)
    for p in glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True)
    if '_base_' not in osp.relpath(p, CONFIG_DIR).split(os.sep))
REAL = [c for c in CONFIGS if 'sim2real' not in c]
#: test-only configs (ensembles of trained models): no training keys
TEST_ONLY = [c for c in CONFIGS if '-ensemble_' in osp.basename(c)]
#: the entropy-based methods (AdvEnt / MinEnt / IntraDA) have their recipe
ENTROPY_REAL = [
    c for c in REAL
    if c.split('/')[0] in ('advent', 'intrada') and c not in TEST_ONLY
]
#: every AdvEnt / MinEnt / IntraDA training config (real and sim2real)
ENTROPY_TRAIN = [
    c for c in CONFIGS
    if c.split('/')[0] in ('advent', 'intrada') and c not in TEST_ONLY
]
#: the variants with ADVENT's own Caffe-style DeepLab-v2
ADVENT_CAFFE = [c for c in CONFIGS if '_deeplabv2-r101-caffe_' in c]
#: GIO-Ada runs on AdvEnt's schedule with its own four optimisers
GIO_ADA_REAL = [c for c in REAL if c.startswith('gio_ada/')]
#: generator stages (TGCF-DA stage A): nothing to validate or test
GENERATOR_STAGE = [c for c in CONFIGS if '-generator_' in osp.basename(c)]
SIM2REAL = [c for c in CONFIGS if 'sim2real' in c]
RIPU = [c for c in CONFIGS if osp.basename(c).startswith('ripu_')]
RIPU_REAL = [c for c in RIPU if c in REAL]
#: PLCA's real-data configs have their own recipe
PLCA_REAL = [c for c in REAL if c.startswith('plca' + os.sep)]

# The configs this task expects to exist (a rename must update the docs).
EXPECTED_REAL = {
    'ripu/ripu_ra-2.2_deeplabv2-r101_gta5-to-cityscapes.py',
    'ripu/ripu_pa_deeplabv2-r101_gta5-to-cityscapes.py',
    'ripu/ripu_ra-5_deeplabv3plus-r101_gta5-to-cityscapes.py',
    'ripu/ripu_ra-2.2_deeplabv2-r101_synthia-to-cityscapes-16.py',
    'ripu/ripu_pa_deeplabv2-r101_synthia-to-cityscapes-16.py',
    'ripu/ripu_ra-5_deeplabv3plus-r101_synthia-to-cityscapes-16.py',
    'baselines/source-only_deeplabv2-r101_gta5-to-cityscapes.py',
    'baselines/oracle_deeplabv2-r101_cityscapes.py',
    'baselines/source-only_deeplabv2-r101_synthia-to-cityscapes-16.py',
    'baselines/oracle_deeplabv2-r101_cityscapes-16.py',
}
REAL_SELECT_ITERS = [10000, 12000, 14000, 16000, 18000]
REMOTE = re.compile(r'^(open-mmlab|openmmlab|torchvision|mmcls|mmpretrain|'
                    r'https?|s3|modelzoo)://')

_CACHE = {}


def load(name):
    """Config.fromfile, cached (configs are read by several tests)."""
    if name not in _CACHE:
        _CACHE[name] = Config.fromfile(osp.join(CONFIG_DIR, name))
    return _CACHE[name]


@pytest.fixture(autouse=True, scope='module')
def mmseg_scope():
    init_default_scope('mmseg')
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield


def is_16(name):
    return 'synthia' in name or 'cityscapes-16' in name


def datasets_of(cfg_dataset):
    """The dataset dicts of a (possibly two-domain or multi-stream)
    dataset config (views share their stream's dataset)."""
    if cfg_dataset.get('type') == 'TwoDomainDataset':
        return datasets_of(cfg_dataset.source) + datasets_of(
            cfg_dataset.target)
    if cfg_dataset.get('type') == 'MultiStreamDataset':
        return [d for s in cfg_dataset.streams.values()
                if 'view_of' not in s for d in datasets_of(s)]
    if cfg_dataset.get('type') == 'ConcatDataset':
        return [d for ds in cfg_dataset.datasets for d in datasets_of(ds)]
    return [cfg_dataset]


def transform_types(pipeline):
    """Every transform type of a pipeline, through TestTimeAug."""
    for t in pipeline:
        yield t['type']
        if t['type'] == 'TestTimeAug':
            for group in t['transforms']:
                yield from transform_types(group)


def strings_of(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from strings_of(v)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from strings_of(v)


def segmentor_of(cfg):
    """The segmentor config, by the method interface (adversarial methods
    wrap it, an ensemble has several: the first; a generator stage holds a
    frozen one)."""
    if issubclass(model_class(cfg.model), TGCFDA):
        return cfg.model.segmentor
    return member_segmentor_cfgs(cfg.model)[0]


def segmentors_in(model):
    """The segmentor modules of a built model."""
    if isinstance(model, TGCFDA):
        return [model.segmentor]
    if hasattr(model, 'teacher'):  # a mean teacher
        return [model.student, model.teacher]
    return member_segmentors(model)


def optim_wrappers_of(cfg):
    """Every single-optimizer wrapper config of the config."""
    wrapper = cfg.optim_wrapper
    if 'optimizer' in wrapper:
        return [wrapper]
    return [
        w for k, w in wrapper.items() if k != 'constructor' and w is not None
    ]


def test_config_list():
    assert EXPECTED_REAL <= set(CONFIGS), EXPECTED_REAL - set(CONFIGS)
    assert SIM2REAL and len(RIPU_REAL) == 6


# ------------------------------------------------------------ loading
@pytest.mark.parametrize('name', CONFIGS)
def test_loads_and_model_builds(name):
    cfg = load(name)
    assert cfg.default_scope == 'mmseg'
    assert 'mmda' in cfg.custom_imports['imports']
    model = R.MODELS.build(cfg.model)  # no weights are loaded here
    head_classes = segmentor_of(cfg).decode_head.num_classes
    for segmentor in segmentors_in(model):
        assert segmentor.decode_head.num_classes == head_classes
    if hasattr(getattr(model, 'discriminator', None), 'levels'):
        # GIO-Ada: images at the input level, softmax (+ depth) at output
        gio = dict(input=3,
                   output=head_classes + int(getattr(model, 'with_depth',
                                                     False)))
        for level, disc in model.discriminator.levels.items():
            want = gio[level] if cfg.model.type == 'GIOAda' else head_classes
            assert disc.layers[0].in_channels == want, level


def _check_registered(registry, type_name, what, name):
    assert registry.get(type_name) is not None, (
        f'{name}: {what} type {type_name!r} is not registered in '
        f'mmseg.registry.{registry.name}')


@pytest.mark.parametrize('name', CONFIGS)
def test_types_registered(name):
    cfg = load(name)
    pipelines = [cfg.get('tta_pipeline', [])]
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[key]
        if loader is None:
            assert (name in TEST_ONLY and key == 'train_dataloader') or (
                name in GENERATOR_STAGE and key != 'train_dataloader')
            continue
        _check_registered(R.DATA_SAMPLERS, loader.sampler.type, 'sampler',
                          name)
        _check_registered(R.DATASETS, loader.dataset.type, 'dataset', name)
        for ds in datasets_of(loader.dataset):
            _check_registered(R.DATASETS, ds.type, 'dataset', name)
            pipelines.append(ds.pipeline)
    for hook in list(cfg.default_hooks.values()) + list(
            cfg.get('custom_hooks', [])):
        _check_registered(R.HOOKS, hook.type, 'hook', name)
        if 'dataloader' in hook:
            _check_registered(R.DATASETS, hook.dataloader.dataset.type,
                              'dataset', name)
            pipelines.append(hook.dataloader.dataset.pipeline)
        if 'annotator' in hook:
            _check_registered(R.TASK_UTILS, hook.annotator.type, 'annotator',
                              name)
    for pipeline in pipelines:
        for t in transform_types(pipeline):
            _check_registered(R.TRANSFORMS, t, 'transform', name)
    if name not in GENERATOR_STAGE:
        _check_registered(R.METRICS, cfg.val_evaluator.type, 'metric',
                          name)
        _check_registered(R.LOOPS, cfg.test_cfg.type, 'loop', name)
    _check_registered(R.MODELS, cfg.tta_model.type, 'tta model', name)
    if name in TEST_ONLY:
        for key in ('train_cfg', 'optim_wrapper', 'param_scheduler'):
            assert cfg.get(key) is None, (name, key)
        return
    _check_registered(R.LOOPS, cfg.train_cfg.type, 'loop', name)
    if 'constructor' in cfg.optim_wrapper:
        _check_registered(R.OPTIM_WRAPPER_CONSTRUCTORS,
                          cfg.optim_wrapper.constructor, 'constructor', name)
    for wrapper in optim_wrappers_of(cfg):
        _check_registered(R.OPTIM_WRAPPERS, wrapper.type, 'optim wrapper',
                          name)
        _check_registered(R.OPTIMIZERS, wrapper.optimizer.type, 'optimizer',
                          name)
    for s in cfg.param_scheduler:
        _check_registered(R.PARAM_SCHEDULERS, s.type, 'scheduler', name)


@pytest.mark.parametrize('name', CONFIGS)
def test_hooks_build(name):
    """Hooks build from the config (ActiveSelectionHook only stores its
    dataloader config, so nothing touches the data)."""
    cfg = load(name)
    for hook in cfg.get('custom_hooks', []):
        R.HOOKS.build(hook)


# ------------------------------------------------------------ classes
@pytest.mark.parametrize('name', CONFIGS)
def test_num_classes_agree(name):
    cfg = load(name)
    head = segmentor_of(cfg).decode_head.num_classes
    if name not in GENERATOR_STAGE:
        val = cfg.val_dataloader.dataset.get('num_classes', 19)
        test = cfg.test_dataloader.dataset.get('num_classes', 19)
        assert head == val == test, (head, val, test)
    for member in ([] if name in GENERATOR_STAGE else
                   member_segmentor_cfgs(cfg.model)):
        assert member.decode_head.num_classes == head
    train = cfg.train_dataloader
    for ds in datasets_of(train.dataset) if train is not None else []:
        if ds.type != 'EntropySplitDataset':  # classes from its manifest
            assert ds.get('num_classes', 19) == head
    for hook in cfg.get('custom_hooks', []):
        if 'dataloader' in hook:
            assert hook.dataloader.dataset.get('num_classes', 19) == head
    if name in REAL:
        assert head == (16 if is_16(name) else 19)


# ------------------------------------------------------------ recipes
@pytest.mark.parametrize('name', RIPU)
def test_ripu_rounds_and_budgets(name):
    cfg = load(name)
    hooks = [h for h in cfg.custom_hooks if h.type == 'ActiveSelectionHook']
    assert len(hooks) == 1
    hook = hooks[0]
    iters = list(hook.select_iters)
    max_iters = cfg.train_cfg.max_iters
    assert iters == sorted(set(iters)) and 0 < iters[0]
    assert iters[-1] < max_iters
    if name in REAL:
        assert iters == REAL_SELECT_ITERS
    base = osp.basename(name)
    if '_pa_' in base:
        assert hook.mode == 'pixel' and hook.pixels_per_image == 40
        if name in REAL:
            assert hook.pa_radius == 32
            assert tuple(hook.pa_reference_size) == (640, 1280)
    else:
        ratio = float(re.search(r'_ra-([\d.]+)_', base).group(1)) / 100
        assert hook.mode == 'region'
        assert hook.budget_ratio == pytest.approx(ratio)
        assert hook.radius == 1
        # the RA normaliser follows the class count (ln C) by default
        assert hook.get('normalizer') is None
    assert cfg.model.type == 'RIPU'
    loader = cfg.train_dataloader
    assert loader.dataset.type == 'TwoDomainDataset'
    assert loader.sampler.source_sampling == 'class_balanced'
    assert loader.sampler.subepoch_size == 3000
    assert 'LoadActiveLabels' in transform_types(
        loader.dataset.target.pipeline)


def _resize_scale(pipeline):
    scales = [tuple(t['scale']) for t in pipeline if t['type'] == 'Resize']
    assert len(scales) == 1
    return scales[0]


@pytest.mark.parametrize(
    'name',
    sorted(set(REAL) - set(ENTROPY_REAL) - set(TEST_ONLY) -
           set(GIO_ADA_REAL) - set(GENERATOR_STAGE) - set(PLCA_REAL)))
def test_real_recipe(name):
    """RIPU's schedule and sizes for every real-data config."""
    cfg = load(name)
    assert cfg.train_cfg.max_iters == 40000
    (poly, ) = cfg.param_scheduler
    assert poly.type == 'PolyLR' and poly.end == 62500 and poly.power == 0.9
    assert cfg.optim_wrapper.optimizer.lr == 2.5e-4
    assert cfg.train_dataloader.batch_size == 2
    for ds in datasets_of(cfg.train_dataloader.dataset):
        kinds = set(transform_types(ds.pipeline))
        assert not kinds & {'RandomFlip', 'RandomCrop', 'RandomResize'}
        expected = {
            'GTA5Dataset': (1280, 720),
            # RIPU's SYNTHIA configs resize to 1280x720 as released
            'SynthiaDataset': (1280, 720) if name in RIPU_REAL else
            (1280, 760),
            'CityscapesDADataset': (1280, 640)
        }[ds.type]
        assert _resize_scale(ds.pipeline) == expected
    val_pipeline = cfg.val_dataloader.dataset.pipeline
    assert _resize_scale(val_pipeline) == (1280, 640)
    kinds = list(transform_types(val_pipeline))
    # labels loaded after the resize: scored at full resolution
    assert kinds.index('LoadDAAnnotations') > kinds.index('Resize')
    assert cfg.val_dataloader.dataset.subset == 'val'
    tta = list(transform_types(cfg.tta_pipeline))
    assert tta.count('RandomFlip') == 2


@pytest.mark.parametrize('name', RIPU_REAL)
def test_ripu_real_network_and_evaluation(name):
    """RIPU as released (docs/methods.md#ripu): torchvision-style
    ResNet-101 at output stride 8 with torchvision's ImageNet weights; the
    DeepLab-v3+ head with ASPP 1/6/12/18, frozen identity norms and Kaiming
    init; flip-averaged validation and test with align_corners=True; RA's
    regions per round at 1024x2048."""
    cfg = load(name)
    backbone = cfg.model.backbone
    assert backbone.type == 'ResNet' and backbone.depth == 101
    assert backbone.style == 'pytorch' and not backbone.get('deep_stem')
    assert tuple(backbone.strides) == (1, 2, 1, 1)
    assert tuple(backbone.dilations) == (1, 1, 2, 4)
    assert backbone.contract_dilation is True
    assert backbone.init_cfg == dict(
        type='Pretrained', checkpoint='checkpoints/resnet101-63fe2227.pth')
    head = cfg.model.decode_head
    assert head.align_corners is True
    if 'deeplabv3plus' in name:
        assert head.type == 'KaimingDepthwiseSeparableASPPHead'
        assert tuple(head.dilations) == (1, 6, 12, 18)
        assert (head.channels, head.c1_in_channels, head.c1_channels) == (
            512, 256, 48)
        assert head.norm_cfg == dict(type='FrozenBatchNorm2d', eps=0.)
        assert 'init_cfg' not in head  # the head's own, as released
        assert tuple(backbone.out_indices) == (0, 1, 2, 3)
    else:
        assert head.type == 'DeepLabV2Head'
        assert tuple(head.dilations) == (6, 12, 18, 24)
    # validation and test share the model's flip-averaged prediction
    assert cfg.model.test_cfg == dict(mode='whole', flip=True)
    hook = R.HOOKS.build(cfg.custom_hooks[0])
    if hook.strategy.ledger_budget(5):  # RA: ceil(H W ratio / 5 / 9)
        per_round = {0.022: 1026, 0.05: 2331}[hook.strategy.budget_ratio]
        assert hook.strategy.picks_per_round((1024, 2048), 5) == per_round
        assert hook.strategy.image_budget((1024, 2048), 5) == \
            5 * per_round * 9


@pytest.mark.parametrize('name', ENTROPY_REAL + SIM2REAL)
def test_no_flip_averaging_outside_ripus_real_configs(name):
    """AdvEnt / IntraDA's official evaluation has no flip; the embedded
    benchmark scores every method the same way (no flip)."""
    for segmentor in member_segmentor_cfgs(load(name).model):
        assert not (segmentor.get('test_cfg') or {}).get('flip', False)


@pytest.mark.parametrize('name', GIO_ADA_REAL)
def test_gio_ada_real_recipe(name):
    """GIO-Ada on AdvEnt's schedule and data with SYNTHIA depth; the
    documented defaults of the values the paper does not give."""
    cfg = load(name)
    assert cfg.train_cfg.max_iters == 120000
    (poly, ) = cfg.param_scheduler
    assert poly.type == 'PolyLR' and poly.end == 250000 and poly.power == 0.9
    assert set(cfg.optim_wrapper) == {
        'constructor', 'segmentor', 'depth_head', 'generator',
        'discriminator'
    }
    assert cfg.optim_wrapper.segmentor.optimizer.lr == 2.5e-4
    assert cfg.optim_wrapper.depth_head.optimizer.lr == 2.5e-3
    assert cfg.optim_wrapper.generator.optimizer == dict(
        type='Adam', lr=2e-4, betas=(0.5, 0.999))
    assert cfg.optim_wrapper.discriminator.optimizer == dict(
        type='Adam', lr=1e-4, betas=(0.9, 0.99))
    model = cfg.model
    ncls = model.segmentor.decode_head.num_classes
    assert ncls == model.generator.num_classes == 16
    assert model.discriminator.discriminators.output.in_channels == ncls + 1
    assert model.depth_loss == dict(
        type='DepthLoss', mode='berhu', loss_weight=0.001)
    assert model.depth_repr == 'inverse'
    assert model.adversarial_losses.input.loss_weight == 1.0
    assert model.adversarial_losses.output.loss_weight == 0.001
    source = cfg.train_dataloader.dataset.source
    assert source.type == 'SynthiaDataset' and source.with_depth
    (depth, ) = [t for t in source.pipeline if t.type == 'LoadDepthMap']
    assert (depth.convention, depth.scale, depth.invalid_value) == \
        ('synthia', 0.01, 65535)
    assert _resize_scale(source.pipeline) == (1280, 760)
    assert _resize_scale(cfg.train_dataloader.dataset.target.pipeline) == \
        (1024, 512)
    assert cfg.train_dataloader.batch_size == 1


@pytest.mark.parametrize('name', PLCA_REAL)
def test_plca_real_recipe(name):
    """PLCA's official recipe (docs/methods.md#plca): 8 + 8 images per
    optimizer step (2 + 2, 4 accumulation steps), 10,416 / 2,976 steps on
    11,160 / 3,720-step poly horizons, SGD 2.5e-4 without a head
    multiplier, 760-988 short side, flip, 730 crops, test at 730x1460."""
    assert len(PLCA_REAL) == 4
    cfg = load(name)
    steps, horizon = (2976, 3720) if 'synthia' in name else (10416, 11160)
    wrapper = cfg.optim_wrapper
    assert wrapper.accumulative_counts == 4
    assert cfg.train_cfg.max_iters == steps * 4
    (poly, ) = cfg.param_scheduler
    assert poly.type == 'PolyLR' and poly.end == horizon * 4
    assert poly.power == 0.9 and poly.eta_min == 0
    assert wrapper.optimizer == dict(
        type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4)
    assert 'paramwise_cfg' not in wrapper
    assert cfg.train_dataloader.batch_size == 2
    for ds in datasets_of(cfg.train_dataloader.dataset):
        resize, flip, crop = (t for t in ds.pipeline
                              if t['type'] in ('RandomResize', 'RandomFlip',
                                               'RandomCrop'))
        assert resize.ratio_range == (1.0, 1.3)
        assert min(resize.scale) == 760 and resize.keep_ratio
        assert flip.prob == 0.5 and crop.crop_size == (730, 730)
    assert _resize_scale(cfg.val_dataloader.dataset.pipeline) == (1460, 730)
    model = cfg.model
    assert model.type == 'PLCA'
    assert model.lovasz_loss.loss_weight == 3.0  # 0.75 x 2 GPUs x 2 steps
    assert model.feature_association.metric == 'cos'
    assert model.output_association.metric == 'kl'
    for level in (model.feature_association, model.output_association):
        assert level.loss_weight == 0.1 and level.spagg_alpha == 0.5
    assert model.lsr_loss.tau == 10 and model.lsr_loss.loss_weight == 0.01
    assert model.association_reduction == dict(mode='none', scale=1.0)
    assert model.test_time_aggregation.alpha == 0.5
    assert model.decode_head.num_classes == (16 if is_16(name) else 19)
    if 'caffe-syncbn' in name:  # the parity variant: official network
        assert model.backbone.style == 'caffe'
        assert model.backbone.norm_cfg == dict(type='SyncBN',
                                               requires_grad=True)
        assert not model.backbone.norm_eval
        assert model.decode_head.bias is False
        assert model.data_preprocessor.std == [1., 1., 1.]
        assert not model.data_preprocessor.bgr_to_rgb
    else:  # the project's base
        assert model.backbone.style == 'pytorch'
        assert not model.backbone.norm_cfg.requires_grad
    assert 'plca_model' not in cfg


@pytest.mark.parametrize('name', [
    'plca/plca_deeplabv2-r101_gta5-to-cityscapes.py',
    'plca/plca_deeplabv2-r101_synthia-to-cityscapes-16.py',
])
def test_plca_datasets_on_fake_roots(name, tmp_path):
    """PLCA's real data configs give 730x730 crops of both domains and
    730x1460 test images scored against full-resolution labels."""
    _fake_roots(str(tmp_path))
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
    _redirect(cfg._cfg_dict, str(tmp_path))
    train = R.DATASETS.build(cfg.train_dataloader.dataset)
    item = train[0]
    for domain in ('source', 'target'):
        assert tuple(item[domain]['inputs'].shape[1:]) == (730, 730)
    label = item['source']['data_samples'].gt_sem_seg.data
    assert tuple(label.shape[1:]) == (730, 730)
    assert set(label.unique().tolist()) <= set(
        range(cfg.model.decode_head.num_classes)) | {255}
    sample = R.DATASETS.build(cfg.val_dataloader.dataset)[0]
    assert tuple(sample['inputs'].shape[1:]) == (730, 1460)
    assert tuple(sample['data_samples'].gt_sem_seg.data.shape[1:]) == (8, 16)


@pytest.mark.parametrize('name', ENTROPY_REAL)
def test_advent_real_recipe(name):
    """AdvEnt's schedule, optimisers, weights and sizes
    (docs/methods.md#advent)."""
    cfg = load(name)
    assert cfg.train_cfg.max_iters == 120000
    (poly, ) = cfg.param_scheduler
    assert poly.type == 'PolyLR' and poly.end == 250000 and poly.power == 0.9
    seg = segmentor_of(cfg)
    assert seg.type == 'MultiLevelEncoderDecoder' or cfg.model.type == \
        'MinEnt'
    assert seg.auxiliary_head.in_channels == 1024
    assert seg.auxiliary_head.loss_decode.loss_weight == 0.1
    wrappers = cfg.optim_wrapper
    if cfg.model.type == 'AdvEnt':
        assert wrappers.segmentor.optimizer.lr == 2.5e-4
        assert wrappers.segmentor.paramwise_cfg.custom_keys.head.lr_mult == 10
        assert wrappers.discriminator.optimizer == dict(
            type='Adam', lr=1e-4, betas=(0.9, 0.99))
        assert cfg.model.adversarial_losses.main.loss_weight == 0.001
        assert cfg.model.adversarial_losses.aux.loss_weight == 0.0002
        assert cfg.model.discriminator_loss.loss_weight == 0.5
        for disc in cfg.model.discriminator.discriminators.values():
            assert disc.get('channels', (64, 128, 256, 512)) == \
                (64, 128, 256, 512)
        assert cfg.model_wrapper_cfg.type == \
            'MMSeparateDistributedDataParallel'
        assert [h.type for h in cfg.custom_hooks] == [
            'AdversarialDiscriminatorHook']
    else:
        assert wrappers.optimizer.lr == 2.5e-4
        assert cfg.model.entropy_losses.main.loss_weight == 0.001
        assert cfg.model.entropy_losses.aux.loss_weight == 0.0002
    assert cfg.train_dataloader.batch_size == 1
    for ds in datasets_of(cfg.train_dataloader.dataset):
        kinds = set(transform_types(ds.pipeline))
        assert not kinds & {'RandomFlip', 'RandomCrop', 'RandomResize'}
        expected = {
            'GTA5Dataset': (1280, 720),
            'SynthiaDataset': (1280, 760),
            'CityscapesDADataset': (1024, 512),
            'EntropySplitDataset': (1024, 512)
        }[ds.type]
        assert _resize_scale(ds.pipeline) == expected
    assert _resize_scale(cfg.val_dataloader.dataset.pipeline) == (1024, 512)
    assert _resize_scale(
        cfg.entropy_rank_dataloader.dataset.pipeline) == (1024, 512)
    assert _resize_scale(cfg.tta_pipeline[1].transforms[0]) == (1024, 512)
    if name.startswith('intrada'):
        train = cfg.train_dataloader.dataset
        source, target = train.source, train.target
        assert (source.split, source.with_labels) == ('easy', True)
        assert (target.split, target.with_labels) == ('hard', False)
    # the official evaluation scores a snapshot every 2k iterations
    assert cfg.train_cfg.val_interval == 2000
    assert cfg.default_hooks.checkpoint.interval == 2000


@pytest.mark.parametrize('name', ENTROPY_TRAIN)
def test_advent_keeps_the_best_checkpoint(name):
    """ADVENT / IntraDA report the best snapshot by validation mIoU
    (docs/methods.md#advent): the configs keep that checkpoint."""
    hook = load(name).default_hooks.checkpoint
    assert (hook.save_best, hook.rule) == ('mIoU', 'greater')


def test_advent_caffe_variants():
    assert ADVENT_CAFFE == [
        'advent/advent_deeplabv2-r101-caffe_gta5-to-cityscapes.py',
        'advent/advent_deeplabv2-r101-caffe_synthia-to-cityscapes-16.py',
        'advent/minent_deeplabv2-r101-caffe_gta5-to-cityscapes.py',
        'advent/minent_deeplabv2-r101-caffe_synthia-to-cityscapes-16.py',
        'intrada/intrada_deeplabv2-r101-caffe_gta5-to-cityscapes.py',
        'intrada/intrada_deeplabv2-r101-caffe_synthia-to-cityscapes-16.py'
    ]


@pytest.mark.parametrize('name', ADVENT_CAFFE)
def test_advent_caffe_backbone_and_bgr_input(name):
    """ADVENT's own network (official advent/model/deeplabv2.py,
    advent/domain_adaptation/config.py): Caffe-style DeepLab-v2
    ResNet-101, BGR input minus IMG_MEAN, std 1; the rest of the recipe
    is the torchvision-style config's."""
    cfg = load(name)
    seg = segmentor_of(cfg)
    backbone = seg.backbone
    assert backbone.type == 'CaffeDeepLabV2ResNet'
    assert (backbone.depth, backbone.style, backbone.contract_dilation) == \
        (101, 'caffe', False)
    assert tuple(backbone.strides) == (1, 2, 1, 1)
    assert tuple(backbone.dilations) == (1, 1, 2, 4)
    # BN affine frozen, the layers in training mode, as released
    assert backbone.norm_cfg == dict(type='BN', requires_grad=False)
    assert backbone.norm_eval is False
    assert backbone.init_cfg == dict(
        type='Pretrained',
        checkpoint='checkpoints/DeepLab_resnet_pretrained_imagenet.pth',
        prefix='Scale.')
    for preprocessor in (cfg.model.data_preprocessor, seg.data_preprocessor,
                         cfg.data_preprocessor):
        assert preprocessor.mean == [104.00698793, 116.66876762, 122.67891434]
        assert preprocessor.std == [1., 1., 1.]
        assert preprocessor.bgr_to_rgb is False
    torchvision_style = load(name.replace('-r101-caffe_', '-r101_'))
    assert cfg.to_dict().keys() == torchvision_style.to_dict().keys()
    for key in ('train_cfg', 'optim_wrapper', 'param_scheduler',
                'default_hooks', 'val_dataloader'):
        assert cfg[key] == torchvision_style[key], key
    other = segmentor_of(torchvision_style)
    for part in ('decode_head', 'auxiliary_head'):
        assert seg[part] == other[part], part
    if name.startswith('intrada'):
        rank_dir = ('work_dirs/' + osp.basename(name).replace(
            'intrada_', 'advent_')[:-3] + '/entropy_rank')
        assert cfg.entropy_rank_dir == rank_dir
        for domain in ('source', 'target'):
            assert cfg.train_dataloader.dataset[domain].manifest == rank_dir


@pytest.mark.parametrize('name', [c for c in TEST_ONLY if c in REAL])
def test_advent_minent_ensemble_test_recipe(name):
    """AdvEnt's evaluation for the ensembles: 1024x512, scored at full
    resolution, both members with AdvEnt's two-level DeepLab-v2."""
    cfg = load(name)
    assert _resize_scale(cfg.test_dataloader.dataset.pipeline) == (1024, 512)
    kinds = list(transform_types(cfg.test_dataloader.dataset.pipeline))
    assert kinds.index('LoadDAAnnotations') > kinds.index('Resize')
    assert _resize_scale(cfg.tta_pipeline[1].transforms[0]) == (1024, 512)
    for member in cfg.model.members.values():
        assert member.type == 'MultiLevelEncoderDecoder'
        assert member.auxiliary_head.in_channels == 1024


@pytest.mark.parametrize('name', CONFIGS)
def test_nothing_downloads(name):
    cfg = load(name)
    remote = [s for s in strings_of(cfg.to_dict()) if REMOTE.match(s)]
    assert not remote, f'{name} names remote files: {remote}'
    assert cfg.get('load_from') is None
    if name in REAL:
        init = segmentor_of(cfg).backbone.get('init_cfg')
        assert init is not None and init.type == 'Pretrained', (
            f'{name}: the real configs start from ImageNet weights')
        ckpt = init.checkpoint
        assert ckpt.endswith('.pth') and not REMOTE.match(ckpt)
        assert not osp.isabs(ckpt)  # relative to the working directory


def test_missing_pretrained_weights_name_the_file(tmp_path, monkeypatch):
    """init_weights() without the ImageNet file fails and names it
    (mmengine's PretrainedInit -> mmda's local checkpoint loader)."""
    monkeypatch.chdir(tmp_path)  # no checkpoints/ here
    for name in ('ripu/ripu_ra-2.2_deeplabv2-r101_gta5-to-cityscapes.py',
                 'ripu/ripu_ra-5_deeplabv3plus-r101_gta5-to-cityscapes.py'):
        cfg = load(name)
        path = cfg.model.backbone.init_cfg.checkpoint
        model = R.MODELS.build(cfg.model)
        with pytest.raises(FileNotFoundError) as err:
            model.init_weights()
        assert path in str(err.value)


# ------------------------------------------------------------ base pieces
def test_synthia_19_class_head_variant():
    cfg = Config.fromfile(
        osp.join(CONFIG_DIR, '_base_', 'datasets',
                 'synthia_to_cityscapes_19head.py'))
    ds = cfg.train_dataloader.dataset
    assert ds.source.type == 'SynthiaDataset'
    assert ds.source.num_classes == ds.target.num_classes == 19
    assert cfg.val_dataloader.dataset.num_classes == 19
    assert cfg.source_train.num_classes == 19


def test_16_class_protocol_metric():
    """DAIoUMetric reports mIoU16 for the 19-class SYNTHIA head and mIoU13
    for the 16-class one."""
    from mmda.datasets.label_spaces import classes_of
    from mmda.evaluation.da_iou_metric import protocol_class_subsets
    assert set(protocol_class_subsets(classes_of(19))) == {'mIoU16', 'mIoU13'}
    assert set(protocol_class_subsets(classes_of(16))) == {'mIoU13'}


# ------------------------------------------------------------ fake data
def _write_png(path, arr):
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(path, arr)


def _fake_roots(root):
    """Tiny GTA5 / SYNTHIA / Cityscapes roots, converted like real ones."""
    from mmda.datasets import (convert_cityscapes, convert_gta5,
                               convert_synthia)
    rng = np.random.default_rng(0)

    def rgb(h, w):
        return rng.integers(0, 256, (h, w, 3), np.uint8)

    label_ids = np.array([7, 8, 11, 13, 17, 21, 22, 23, 24, 26, 27, 31, 33])
    gta = osp.join(root, 'gta5')
    for i in range(2):
        _write_png(osp.join(gta, 'images', f'{i:05d}.png'), rgb(9, 16))
        _write_png(
            osp.join(gta, 'labels', f'{i:05d}.png'),
            rng.choice(label_ids, (9, 16)).astype(np.uint8))
    syn = osp.join(root, 'synthia')
    for i in range(2):
        _write_png(osp.join(syn, 'RGB', f'{i:07d}.png'), rgb(8, 13))
        raw = rng.integers(0, 23, (8, 13)).astype(np.uint16)
        _write_png(
            osp.join(syn, 'GT', 'LABELS', f'{i:07d}.png'),
            np.stack([np.zeros_like(raw), np.zeros_like(raw), raw], 2))
    cs = osp.join(root, 'cityscapes')
    for split, city in (('train', 'aachen'), ('val', 'frankfurt')):
        for i in range(2):
            stem = f'{city}/{city}_000000_{i:06d}'
            _write_png(
                osp.join(cs, 'leftImg8bit', split, stem + '_leftImg8bit.png'),
                rgb(8, 16))
            _write_png(
                osp.join(cs, 'gtFine', split, stem + '_gtFine_labelIds.png'),
                rng.choice(label_ids, (8, 16)).astype(np.uint8))
    convert_gta5(gta)
    convert_synthia(syn)
    convert_cityscapes(cs)


def _redirect(node, root):
    """Point every data/<name> data_root of a config at root/<name>."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == 'data_root' and isinstance(v, str) and v.startswith(
                    'data/'):
                node[k] = osp.join(root, v[len('data/'):])
            else:
                _redirect(v, root)
    elif isinstance(node, list):
        for v in node:
            _redirect(v, root)


@pytest.mark.parametrize('name', [
    'ripu/ripu_ra-2.2_deeplabv2-r101_gta5-to-cityscapes.py',
    'ripu/ripu_ra-2.2_deeplabv2-r101_synthia-to-cityscapes-16.py',
    'baselines/oracle_deeplabv2-r101_cityscapes-16.py',
])
def test_real_datasets_on_fake_roots(name, tmp_path):
    """The real dataset configs build and produce RIPU's sizes and class
    ids on tiny fake data (class-balanced sampler included)."""
    from mmda.datasets import LoadActiveLabels
    _fake_roots(str(tmp_path))
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
    _redirect(cfg._cfg_dict, str(tmp_path))
    ncls = cfg.model.decode_head.num_classes

    def valid(seg):
        return set(np.unique(seg).tolist()) <= set(range(ncls)) | {255}

    train = R.DATASETS.build(cfg.train_dataloader.dataset)
    ledger = tmp_path / 'ledger'
    ledger.mkdir()
    found = 0
    for part in (getattr(train, 'target', None), ):
        for t in getattr(getattr(part, 'pipeline', None), 'transforms', []):
            if isinstance(t, LoadActiveLabels):
                t.ledger_dir = str(ledger)
                found += 1
    assert found == (1 if name.startswith('ripu') else 0)
    sampler = R.DATA_SAMPLERS.build(
        cfg.train_dataloader.sampler, default_args=dict(dataset=train,
                                                        seed=0))
    idx = next(iter(sampler))
    item = train[idx]
    if isinstance(item, dict) and 'source' in item:
        src, tgt = item['source'], item['target']
        # SYNTHIA at 1280x720 in RIPU's configs (as released), else 760
        src_hw = (720, 1280) if 'gta5' in name or name in RIPU_REAL else (
            760, 1280)
        assert tuple(src['inputs'].shape[1:]) == src_hw
        assert valid(src['data_samples'].gt_sem_seg.data.numpy())
        assert tuple(tgt['inputs'].shape[1:]) == (640, 1280)
        # no label picked yet: an all-ignore target label
        assert (tgt['data_samples'].gt_sem_seg.data == 255).all()
    else:
        assert tuple(item['inputs'].shape[1:]) == (640, 1280)
        assert valid(item['data_samples'].gt_sem_seg.data.numpy())

    val = R.DATASETS.build(cfg.val_dataloader.dataset)
    assert len(val) == 2 and len(val.metainfo['classes']) == ncls
    sample = val[0]
    assert tuple(sample['inputs'].shape[1:]) == (640, 1280)
    # labels at the original resolution
    assert tuple(sample['data_samples'].gt_sem_seg.data.shape[1:]) == (8, 16)
    assert valid(sample['data_samples'].gt_sem_seg.data.numpy())

    for hook in cfg.get('custom_hooks', []):  # RIPU's scoring set
        scoring = R.DATASETS.build(hook.dataloader.dataset)
        assert len(scoring) == 2
        assert len(scoring.metainfo['classes']) == ncls
        seg = scoring[0]['data_samples'].gt_sem_seg.data
        assert tuple(seg.shape[1:]) == (8, 16)
        assert valid(seg.numpy())
