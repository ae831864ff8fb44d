"""``conftest.run_tool_forked``: a tool run in a fork of the test process
sees what a fresh Python would, not the test process's mmengine globals."""
from mmengine.logging import MessageHub
from mmengine.visualization import Visualizer

from conftest import run_tool_forked

SCRIPT = '''
from mmengine.logging import MessageHub
from mmengine.visualization import Visualizer
print(Visualizer.check_instance_created('visualizer'),
      MessageHub.check_instance_created('fork_probe'))
'''


def test_fork_drops_named_mmengine_instances(tmp_path):
    """An earlier in-process run's visualizer named 'visualizer' (the
    configs' name) must not reach the tool: its vis backends would write
    the tool's scalars into the earlier run's work dir."""
    had_visualizer = Visualizer.check_instance_created('visualizer')
    Visualizer.get_instance('visualizer', save_dir=str(tmp_path / 'old'))
    MessageHub.get_instance('fork_probe')
    try:
        script = tmp_path / 'probe.py'
        script.write_text(SCRIPT)
        proc = run_tool_forked([script])
        assert proc.stdout.split() == ['False', 'False']
        # the test process keeps its own
        assert Visualizer.check_instance_created('visualizer')
        assert MessageHub.check_instance_created('fork_probe')
    finally:
        MessageHub._instance_dict.pop('fork_probe', None)
        if not had_visualizer:
            Visualizer._instance_dict.pop('visualizer', None)
