"""simcluster stub of torchdata.stateful_dataloader."""
from torch.utils.data import DataLoader


class StatefulDataLoader(DataLoader):
    pass
