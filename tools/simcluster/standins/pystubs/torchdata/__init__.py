# (the wheel puts __version__ and SIMCLUSTER_STUB above this line)
