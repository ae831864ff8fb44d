"""The active-label ledger and the transform that reads it."""
import json
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

from mmda.active.label_ledger import (ACTIVE, CURRENT_LINK, INDEX_FILE,
                                      LABELLED_IGNORE, UNTOUCHED,
                                      ActiveLabelLedger, LedgerError,
                                      decode_map, encode_map,
                                      ledger_map_to_labels, read_published_map)
from mmda.datasets.transforms import LoadActiveLabels

H, W = 6, 8  # 48 pixels


def untouched():
    return np.full((H, W), UNTOUCHED, np.uint8)


def first_round():
    """3 labelled pixels (classes 0, 2 and void), 5 active."""
    m = untouched()
    m[0, 0:3] = [0, 2, LABELLED_IGNORE]
    m[1, 0:5] = ACTIVE
    return m


def second_round():
    m = first_round()
    m[1, 0:2] = [1, 1]  # active -> labelled is allowed
    m[5, 7] = 2  # untouched -> labelled
    m[4, 6:8] = ACTIVE  # untouched -> active
    return m


def ledger(budget_ratio=0.25, **kw):
    # 0.25 * 48 = 12 pixels per image
    return ActiveLabelLedger(3, budget_ratio=budget_ratio, **kw)


# ----------------------------------------------------------------------------
# updates and invariants
# ----------------------------------------------------------------------------
def test_update_counts_and_get():
    led = ledger()
    assert led.budget_of((H, W)) == 12
    assert led.update('a', first_round()) == 3
    assert led.labelled_pixels('a') == 3
    assert led.budget_left('a', (H, W)) == 9
    assert led.update('a', second_round()) == 3
    assert led.labelled_pixels('a') == 6
    assert np.array_equal(led.get('a'), second_round())
    assert np.array_equal(led.get('a', (H, W)), second_round())
    # unknown images are untouched; their shape must be given
    assert np.array_equal(led.get('b', (H, W)), untouched())
    with pytest.raises(KeyError, match="'b'"):
        led.get('b')
    assert led.labelled_pixels() == 6 and led.keys == ['a']


def test_get_checks_the_shape():
    led = ledger()
    led.update('a', first_round())
    with pytest.raises(LedgerError, match='6x8 but the image label is 6x9'):
        led.get('a', (6, 9))


def test_budgets():
    assert ActiveLabelLedger(3, budget_ratio=0.022).budget_of(
        (1024, 2048)) == 46137  # floor(2097152 * 0.022 = 46137.344)
    assert ActiveLabelLedger(3, budget_pixels=40).budget_of((7, 9)) == 40
    assert ActiveLabelLedger(3).budget_of((7, 9)) == 63
    # RIPU RA's rule: every round's whole regions, 5 x 1026 x 9
    ra = dict(budget_ratio=0.022, budget_regions=dict(num_rounds=5, radius=1))
    assert ActiveLabelLedger(3, **ra).budget_of((1024, 2048)) == 46170
    with pytest.raises(ValueError, match='budget_regions needs budget_ratio'):
        ActiveLabelLedger(3, budget_regions=dict(num_rounds=5, radius=1))
    with pytest.raises(ValueError, match='dict\\(num_rounds=R, radius=K\\)'):
        ActiveLabelLedger(3, budget_ratio=0.1, budget_regions=dict(rounds=5))
    with pytest.raises(ValueError, match='not both'):
        ActiveLabelLedger(3, budget_ratio=0.1, budget_pixels=4)
    with pytest.raises(ValueError, match='at most 253'):
        ActiveLabelLedger(253)


def test_no_pixel_is_relabelled():
    led = ledger()
    led.update('a', first_round())
    m = first_round()
    m[0, 1] = 1  # class 2 -> class 1
    with pytest.raises(LedgerError, match='a: update changes already'):
        led.update('a', m)
    m = first_round()
    m[0, 2] = 0  # void -> class 0
    with pytest.raises(LedgerError, match='already labelled'):
        led.update('a', m)
    for value in (ACTIVE, UNTOUCHED):  # labelled -> unlabelled
        m = first_round()
        m[0, 0] = value
        with pytest.raises(LedgerError, match='already labelled'):
            led.update('a', m)
    # a refused update changes nothing
    assert np.array_equal(led.get('a'), first_round())
    assert led.labelled_pixels('a') == 3


def test_active_is_never_released():
    led = ledger()
    led.update('a', first_round())
    m = first_round()
    m[1, 4] = UNTOUCHED
    with pytest.raises(LedgerError, match='a: update releases active'):
        led.update('a', m)


def test_budget_is_enforced():
    led = ledger()
    led.update('a', first_round())
    m = first_round()
    m[3, :] = 1  # 3 + 8 = 11 <= 12
    led.update('a', m)
    m[4, 0] = 1  # 12
    led.update('a', m)
    m[4, 1] = 1  # 13 > 12
    with pytest.raises(LedgerError, match='13 labelled pixels exceed the '
                       'budget of 12'):
        led.update('a', m)
    # an absolute budget
    led = ActiveLabelLedger(3, budget_pixels=2)
    with pytest.raises(LedgerError, match='3 labelled pixels exceed the '
                       'budget of 2'):
        led.update('a', first_round())


def test_labels_outside_the_classes_are_refused():
    led = ledger()
    for bad in (3, 100, 252):
        m = first_round()
        m[2, 2] = bad
        with pytest.raises(LedgerError, match=rf'labels \[{bad}\] are '
                           'outside the 3 classes'):
            led.update('a', m)
    assert led.keys == []


def test_map_to_labels():
    labels = ledger_map_to_labels(second_round(), 3)
    expected = np.full((H, W), 255, np.uint8)
    expected[0, 0:2] = [0, 2]
    expected[1, 0:2] = [1, 1]
    expected[5, 7] = 2
    assert np.array_equal(labels, expected)


# ----------------------------------------------------------------------------
# state dict and disk
# ----------------------------------------------------------------------------
def filled_ledger():
    led = ledger()
    led.update('img_a', first_round())
    led.update('img_b', first_round()[::-1].copy())
    led.close_round(10, 6)
    led.update('img_a', second_round())
    led.close_round(20, 3)
    return led


def assert_same(a, b):
    assert a.keys == b.keys
    for key in a.keys:
        assert np.array_equal(a.get(key), b.get(key))
        assert a.labelled_pixels(key) == b.labelled_pixels(key)
    assert a.rounds == b.rounds
    assert (a.num_classes, a.budget_ratio, a.budget_pixels,
            a.budget_regions) == (b.num_classes, b.budget_ratio,
                                  b.budget_pixels, b.budget_regions)
    assert a.state_dict() == b.state_dict()


def test_rounds_record():
    led = filled_ledger()
    assert led.num_rounds == 2
    assert led.rounds == [
        dict(round=1, iter=10, new_pixels=6, labelled_pixels=6),
        dict(round=2, iter=20, new_pixels=3, labelled_pixels=9),
    ]


def test_state_dict_round_trip():
    led = filled_ledger()
    state = led.state_dict()
    assert state['version'] == 1 and set(state['maps']) == {'img_a', 'img_b'}
    again = ledger()
    again.load_state_dict(state)
    assert_same(led, again)
    # the restored ledger keeps enforcing the invariants
    with pytest.raises(LedgerError, match='already labelled'):
        again.update('img_a', first_round() * 0)


@pytest.mark.parametrize('saved_kw, config_kw, message', [
    (dict(budget_ratio=0.25), dict(budget_ratio=0.25, num_classes=4),
     'checkpoint has num_classes=3 but the config says 4'),
    (dict(budget_ratio=0.25), dict(budget_ratio=0.5),
     'checkpoint has budget_ratio=0.25 but the config says 0.5'),
    (dict(budget_ratio=0.25), dict(budget_pixels=12),
     'checkpoint has budget_ratio=0.25 but the config says None'),
    (dict(budget_pixels=12), dict(budget_pixels=13),
     'checkpoint has budget_pixels=12 but the config says 13'),
    (dict(budget_ratio=0.25),
     dict(budget_ratio=0.25, budget_regions=dict(num_rounds=2, radius=1)),
     "checkpoint has budget_regions=None but the config says "
     "{'num_rounds': 2, 'radius': 1}"),
])
def test_state_dict_of_another_config(saved_kw, config_kw, message):
    led = ActiveLabelLedger(3, **saved_kw)
    led.update('img_a', first_round())
    config_kw = dict(dict(num_classes=3), **config_kw)
    other = ActiveLabelLedger(**config_kw)
    with pytest.raises(LedgerError, match=message):
        other.load_state_dict(led.state_dict())


def test_state_dict_corrupt():
    state = filled_ledger().state_dict()
    with pytest.raises(LedgerError, match='unknown format'):
        ledger().load_state_dict(dict(state, version=99))
    with pytest.raises(LedgerError, match='unknown format'):
        ledger().load_state_dict([1, 2])
    bad = dict(state, maps=dict(state['maps'], img_a=b'not a png'))
    with pytest.raises(LedgerError, match='corrupt ledger map for img_a in '
                       'iter 7'):
        ledger().load_state_dict(bad, 'iter 7')
    # a map over the budget is refused on load too
    over = np.zeros((H, W), np.uint8)
    bad = dict(state, maps=dict(state['maps'], img_a=encode_map(over)))
    with pytest.raises(LedgerError, match='img_a: 48 labelled pixels exceed'):
        ledger().load_state_dict(bad)


def test_check_keys():
    led = filled_ledger()
    led.check_keys(['img_a', 'img_b', 'img_c'], 'the target set')
    with pytest.raises(LedgerError, match=r"1 images that the target set "
                       r"does not have, e.g. \['img_b'\]"):
        led.check_keys(['img_a'], 'the target set')


def test_save_load_round_trip(tmp_path):
    root = str(tmp_path / 'ledger')
    led = filled_ledger()
    final = led.save(root)
    assert final == osp.join(root, 'round_002')
    assert os.readlink(osp.join(root, CURRENT_LINK)) == 'round_002'
    assert sorted(os.listdir(final)) == ['img_a.png', 'img_b.png', INDEX_FILE]
    loaded = ActiveLabelLedger.load(root)
    assert_same(led, loaded)
    with open(osp.join(final, INDEX_FILE)) as f:
        index = json.load(f)
    assert index['labelled'] == {'img_a': 6, 'img_b': 3}
    # the maps are ordinary PNGs
    png = cv2.imread(osp.join(final, 'img_a.png'), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(png, second_round())


def test_region_budget_rule_round_trip(tmp_path):
    """RA's budget rule is saved with the ledger (index and state dict)."""
    rule = dict(num_rounds=2, radius=1)
    led = ActiveLabelLedger(3, budget_ratio=0.25, budget_regions=rule)
    assert led.budget_of((H, W)) == 2 * 1 * 9  # ceil(48 * 0.125 / 9) = 1
    led.update('img_a', first_round())
    led.save(str(tmp_path))
    loaded = ActiveLabelLedger.load(str(tmp_path))
    assert loaded.budget_regions == rule
    assert_same(led, loaded)
    again = ActiveLabelLedger(3, budget_ratio=0.25, budget_regions=rule)
    again.load_state_dict(led.state_dict())
    assert_same(led, again)


def test_current_points_to_the_latest_round(tmp_path):
    root = str(tmp_path / 'ledger')
    led = ledger()
    led.save(root)  # round 0: empty
    led.update('img_a', first_round())
    led.close_round(10, 3)
    led.save(root)
    assert os.readlink(osp.join(root, CURRENT_LINK)) == 'round_001'
    assert np.array_equal(read_published_map(root, 'img_a'), first_round())
    led.update('img_a', second_round())
    led.close_round(20, 3)
    led.save(root)
    assert os.readlink(osp.join(root, CURRENT_LINK)) == 'round_002'
    assert np.array_equal(read_published_map(root, 'img_a'), second_round())
    # earlier rounds stay as they were, no temporary files are left
    assert sorted(os.listdir(root)) == [
        CURRENT_LINK, 'round_000', 'round_001', 'round_002'
    ]
    assert os.listdir(osp.join(root, 'round_000')) == [INDEX_FILE]
    with open(osp.join(root, 'round_001', 'img_a.png'), 'rb') as f:
        assert np.array_equal(decode_map(f.read(), 'x'), first_round())
    assert read_published_map(root, 'img_b') is None
    # rewriting the same round (after a resume) replaces it
    led.save(root)
    assert sorted(os.listdir(root)) == [
        CURRENT_LINK, 'round_000', 'round_001', 'round_002'
    ]
    assert_same(led, ActiveLabelLedger.load(root))


def test_save_over_a_dereferenced_copy(tmp_path):
    # a work dir copied without its links (shutil.copytree, cloud sync)
    # holds 'current' as a directory: the next save publishes a link again
    src, dst = str(tmp_path / 'src'), str(tmp_path / 'dst')
    led = filled_ledger()
    led.save(src)
    shutil.copytree(src, dst)
    assert not osp.islink(osp.join(dst, CURRENT_LINK))
    led.save(dst)
    assert os.readlink(osp.join(dst, CURRENT_LINK)) == 'round_002'
    assert sorted(os.listdir(dst)) == [CURRENT_LINK, 'round_002']
    assert_same(led, ActiveLabelLedger.load(dst))


def test_nothing_published(tmp_path):
    assert read_published_map(str(tmp_path), 'img_a') is None
    with pytest.raises(LedgerError, match='no active-label ledger at .*'
                       'ledger.json is missing'):
        ActiveLabelLedger.load(str(tmp_path))


@pytest.fixture
def saved(tmp_path):
    root = str(tmp_path / 'ledger')
    filled_ledger().save(root)
    # errors name the files as read, through the published link
    return root, osp.join(root, CURRENT_LINK)


def test_load_corrupt_map(saved):
    root, final = saved
    path = osp.join(final, 'img_a.png')
    with open(path, 'wb') as f:
        f.write(b'\x89PNG garbage')
    with pytest.raises(LedgerError, match=f'corrupt ledger map for {path}'):
        ActiveLabelLedger.load(root)


def test_load_map_with_wrong_count(saved):
    root, final = saved
    path = osp.join(final, 'img_a.png')
    with open(path, 'wb') as f:
        f.write(encode_map(first_round()))
    with pytest.raises(LedgerError, match=f'ledger map {path} has 3 '
                       'labelled pixels, .*ledger.json says 6'):
        ActiveLabelLedger.load(root)


def test_load_missing_map(saved):
    root, final = saved
    path = osp.join(final, 'img_b.png')
    os.remove(path)
    with pytest.raises(LedgerError, match=f'ledger map {path} listed in .* '
                       'is missing'):
        ActiveLabelLedger.load(root)


def test_load_corrupt_index(saved):
    root, final = saved
    with open(osp.join(final, INDEX_FILE), 'w') as f:
        f.write('{"version": 1, "num_cl')
    with pytest.raises(LedgerError, match='corrupt ledger index .*'
                       'current/ledger.json: Unterminated string'):
        ActiveLabelLedger.load(root)


@pytest.mark.parametrize('key', ['num_classes', 'budget_ratio', 'labelled',
                                 'rounds'])
def test_load_index_missing_key(saved, key):
    root, final = saved
    index_file = osp.join(final, INDEX_FILE)
    with open(index_file) as f:
        index = json.load(f)
    del index[key]
    with open(index_file, 'w') as f:
        json.dump(index, f)
    with pytest.raises(LedgerError, match=f'corrupt ledger index '
                       f'{index_file}: no {key}'):
        ActiveLabelLedger.load(root)


@pytest.mark.parametrize('index', [[1, 2], dict(version=2)])
def test_load_index_of_unknown_format(saved, index):
    root, final = saved
    index_file = osp.join(final, INDEX_FILE)
    with open(index_file, 'w') as f:
        json.dump(index, f)
    with pytest.raises(LedgerError, match=f'ledger index {index_file} has '
                       'an unknown format'):
        ActiveLabelLedger.load(root)


@pytest.mark.parametrize('key, value, message', [
    ('num_classes', 2, r'labels \[2\] are outside the 2 classes'),
    ('num_classes', 300, 'at most 253 classes'),
    ('budget_ratio', 0.1, '6 labelled pixels exceed the budget of 4'),
    ('budget_pixels', 5, 'budget_ratio or budget_pixels, not both'),
])
def test_load_index_of_another_config(saved, key, value, message):
    root, final = saved
    index_file = osp.join(final, INDEX_FILE)
    with open(index_file) as f:
        index = json.load(f)
    index[key] = value
    with open(index_file, 'w') as f:
        json.dump(index, f)
    with pytest.raises(LedgerError, match=message) as info:
        ActiveLabelLedger.load(root)
    assert index_file in str(info.value)


# ----------------------------------------------------------------------------
# LoadActiveLabels
# ----------------------------------------------------------------------------
def results_for(key, hw=(H, W)):
    return dict(img=np.zeros((*hw, 3), np.uint8),
                img_path=f'/data/leftImg8bit/train/x/{key}.png')


def test_load_active_labels_reads_the_published_map(saved):
    root, _ = saved
    transform = LoadActiveLabels(ledger_dir=root)
    out = transform(results_for('img_a'))
    expected = np.full((H, W), 255, np.uint8)
    expected[0, 0:2] = [0, 2]  # 253 (void) -> 255
    expected[1, 0:2] = [1, 1]  # 254 (active) -> 255
    expected[5, 7] = 2
    assert out['gt_seg_map'].dtype == np.uint8
    assert np.array_equal(out['gt_seg_map'], expected)
    assert out['seg_fields'] == ['gt_seg_map']
    # an image without a map: all 255
    out = transform(results_for('img_c'))
    assert np.array_equal(out['gt_seg_map'], np.full((H, W), 255, np.uint8))
    assert LoadActiveLabels.key_of('/a/b/img_a.png') == 'img_a'


def test_load_active_labels_follows_current(tmp_path):
    root = str(tmp_path / 'ledger')
    led = ledger()
    led.update('img_a', first_round())
    led.save(root)
    transform = LoadActiveLabels(ledger_dir=root)
    assert int((transform(results_for('img_a'))['gt_seg_map'] != 255).sum()
               ) == 2
    led.update('img_a', second_round())
    led.save(root)
    assert int((transform(results_for('img_a'))['gt_seg_map'] != 255).sum()
               ) == 5


def test_load_active_labels_errors(saved):
    root, _ = saved
    with pytest.raises(ValueError, match=r'img_a\.png .* is 8x6 but the '
                       'image is 9x6'):
        LoadActiveLabels(ledger_dir=root)(results_for('img_a', (6, 9)))
    with pytest.raises(RuntimeError, match='no ledger directory'):
        LoadActiveLabels()(results_for('img_a'))
